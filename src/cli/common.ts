// What every command shares.
import type { Services } from '../services.js';

export class CliError extends Error {}

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** Runs one command against freshly opened services and closes them afterwards. */
export type WithServices = (fn: (s: Services) => Promise<void>) => Promise<void>;
