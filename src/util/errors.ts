// A refusal from a domain: a message key of ours and its parameters, with no HTTP in it.
import type { MessageParam } from '../i18n/index.js';

export class DomainError extends Error {
  constructor(
    readonly key: string,
    readonly params: MessageParam[] = [],
  ) {
    super(key);
    this.name = 'DomainError';
  }
}

export interface Msg {
  key: string;
  params: MessageParam[];
}

export const msg = (key: string, ...params: MessageParam[]): Msg => ({ key, params });
