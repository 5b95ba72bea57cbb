// What both sides are seeded with and the shape of a case: shared by the case lists (cases.ts and the
// family files beside it) and the runner.

export const USER_PASSWORD = 'Oracle-User-Pass-1!';
export const ADMIN_PASSWORD = 'Oracle-Admin-Pass-1!';
export const BOT_PASSWORD = 'botpassbotpassbotpassbotpassbot1';

/** The accounts both sides must hold, in user-id order (the oracle's installer makes "MediaWiki default" as id 2). */
export const FIXTURE = {
  users: [
    { name: 'Admin', password: ADMIN_PASSWORD, email: 'admin@example.org', groups: ['sysop', 'bureaucrat'] },
    { name: 'MediaWiki default', password: null, email: '', groups: [] },
    { name: 'Alice', password: USER_PASSWORD, email: 'alice@example.org', groups: [] },
    { name: 'Bob', password: USER_PASSWORD, email: 'shared@example.org', groups: [] },
    { name: 'Carol', password: USER_PASSWORD, email: 'shared@example.org', groups: [] },
    { name: 'Dave', password: USER_PASSWORD, email: '', groups: [] },
    { name: 'Eve', password: USER_PASSWORD, email: 'eve@example.org', groups: [] },
  ],
  block: { user: 'Eve', by: 'Admin', reason: 'oracle: blocked user', createAccount: true },
  botPasswords: [
    { user: 'Alice', appId: 'oracle', grants: ['basic', 'privateinfo'] },
    { user: 'Eve', appId: 'oracle', grants: ['basic', 'privateinfo'] },
    { user: 'Bob', appId: 'bench', grants: ['basic'] },
  ],
} as const;

export type Params = Record<string, string>;

export interface HttpCase {
  kind?: 'http';
  id: string;
  section: string;
  /** Cookie jar name: cases with the same client share cookies (per side). */
  client: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD' | 'OPTIONS';
  /** Query string parameters. Values may hold `{{var}}`, filled per side. */
  query?: Params;
  /** Body parameters (urlencoded, or multipart when `multipart`). */
  body?: Params;
  multipart?: boolean;
  headers?: Record<string, string>;
  /** Variables to keep from this response: name → dotted JSON path (e.g. `query.tokens.logintoken`). */
  save?: Record<string, string>;
  note?: string;
}

export interface MailCase {
  kind: 'mail';
  id: string;
  section: string;
  /** Waits for the mail sent since the last mail case and compares the recipients; keeps `temp:<address>` variables. */
  note?: string;
}

export type Case = HttpCase | MailCase;
