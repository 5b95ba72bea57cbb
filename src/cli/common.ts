// What every command shares.
import type { Services } from '../services.js';

export class CliError extends Error {}

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** Runs one command against freshly opened services and closes them afterwards. */
export type WithServices = (fn: (s: Services) => Promise<void>) => Promise<void>;

/**
 * The part of the services a command needs that only reads and writes the stores: the database and
 * nothing else (no password hashing, no mail, no API modules), so it starts in a fraction of the time.
 */
export type StoreAccess = Pick<Services, 'config' | 'dialect' | 'stores' | 'users' | 'clock' | 'random'>;

/** Runs one command against freshly opened stores and closes them afterwards. */
export type WithStores = (fn: (s: StoreAccess) => Promise<void>) => Promise<void>;
