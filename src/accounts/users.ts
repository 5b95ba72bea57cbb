// Accounts: what the domain knows of a user row and its groups, and the store that keeps them. The
// implementations are in src/storage/sql/users.ts; test/contracts/users.test.ts is what each must do.
// Preferences are a store of their own (src/accounts/preferences.ts).

export interface User {
  id: number;
  name: string;
  email: string;
  emailAuthenticated: number | null;
  /** The real name given at creation ("" when none). */
  realName: string;
  registration: number;
  password: string;
  newPassword: string;
  newPassTime: number | null;
  token: string;
  /** An imported edit count (null: unknown, or an account made here). */
  editCount: number | null;
  /** A MediaWiki system account, brought by an import: nobody logs in to it. */
  system: boolean;
  /** A MediaWiki temporary account (1.42+), brought by an import. */
  tempAccount: boolean;
  /** Where an import brought the account from; null: made here. */
  provenance: Provenance | null;
}

/** Where an imported account came from. */
export interface Provenance {
  /** The source the last import that wrote it read (a wiki's database, or a file), without passwords. */
  source: string;
  /** The account's id in the wiki it was first imported from. */
  sourceId: number | null;
  /** When an import last wrote it (ms). */
  imported: number;
}

export interface NewUser {
  name: string;
  email?: string;
  realName?: string;
  passwordHash: string;
  /** A temporary password (issued now) besides the main one, for an account made with a mailed password. */
  temporaryPasswordHash?: string;
}

/**
 * What a request needs of the account it acts for, read in one statement: the row, the groups it is in
 * now (expired memberships left out, by name) and its language preference (null: none stored). A
 * logged-in request reads its account once, this way, and nothing else of it.
 */
export interface AccountView {
  user: User;
  groups: string[];
  language: string | null;
}

/** A group an account is in, and until when (ms; null: no end). */
export interface GroupMembership {
  group: string;
  expiry: number | null;
}

/**
 * An account as an import writes it (see src/import/record.ts): the whole row, replacing what an
 * account of that name had. Times are milliseconds.
 */
export interface AccountUpsert {
  name: string;
  email: string;
  emailAuthenticated: number | null;
  realName: string;
  registration: number;
  passwordHash: string;
  /** A pending temporary password; `issued` null: unknown. */
  temporaryPassword: { hash: string; issued: number | null } | null;
  /** The fingerprint of the record it comes from; null: none. */
  fingerprint: string | null;
  /** Default null. */
  editCount?: number | null;
  /** Default false. */
  system?: boolean;
  /** Default false. */
  tempAccount?: boolean;
  /** Which source this import reads (without passwords), for the account's provenance; default none. */
  importSource?: string | null;
  /** The account's id in the wiki it was first imported from; default none. */
  importSourceId?: number | null;
}

/** What a bulk look-up by name tells of an existing account. */
export interface ExistingAccount {
  id: number;
  name: string;
  /** The fingerprint of the record the account was last imported from; null: made here (or never imported). */
  fingerprint: string | null;
}

export interface UserStore {
  /** The account of exactly this name (case, accents and spaces count), or null. */
  byName(name: string): Promise<User | null>;
  byId(id: number): Promise<User | null>;
  /** The account with its groups and language preference, in one read (see AccountView); null when there is none. */
  view(id: number): Promise<AccountView | null>;
  /** Every account with this address, oldest id first; the address's case does not matter. */
  byEmail(email: string): Promise<User[]>;
  /** The names of the accounts whose name is confusable with this one (the same UTS #39 skeleton), itself included. */
  confusableWith(name: string): Promise<string[]>;
  /**
   * In a transaction: locks the look-alike group of `name` until the transaction ends (a second creator
   * in the same group waits), then returns the names in it as committed now, as confusableWith.
   */
  lockConfusable(name: string): Promise<string[]>;
  /** By id, `limit` (default 1000) from `offset`. */
  list(opts?: { limit?: number; offset?: number }): Promise<User[]>;
  /** Keyset iteration: up to `limit` accounts with an id above `afterId`, by id. */
  after(afterId: number, limit: number): Promise<User[]>;
  count(): Promise<number>;

  /** A new account, registered now with a new user_token; fails when the name is taken. */
  create(input: NewUser): Promise<User>;
  /** A new address, not confirmed. */
  setEmail(id: number, email: string): Promise<void>;
  /** A new main password: the temporary password and the reset cooldown go, and the user_token is new (sessions and remembered logins end). */
  setPassword(id: number, hash: string): Promise<void>;
  /**
   * Replaces the stored main-password hash with another hash of the same password (a login upgrading an
   * old format). Nothing else changes: not the user_token, not the temporary password. Only when the
   * stored hash is still `from`, so a password changed meanwhile is never put back; true when it was.
   */
  replacePasswordHash(id: number, from: string, to: string): Promise<boolean>;
  /**
   * Gives the account a temporary password, issued now. With `ifNewPassTime`, only if the account's last
   * one is still the one of that time (null: none), so that two requests handled at once cannot both
   * mail it; returns whether it was set.
   */
  setTemporaryPassword(id: number, hash: string, ifNewPassTime?: number | null): Promise<boolean>;
  /** A new user_token: every session and remembered login of the account ends. */
  rotateToken(id: number): Promise<string>;

  /** The groups the account is in now (expired memberships left out), by name. */
  groups(id: number): Promise<string[]>;
  /** Adds the account to a group (until `expiry`, ms; null or absent: no end); a membership it has takes the new expiry. */
  addGroup(id: number, group: string, expiry?: number | null): Promise<void>;
  removeGroup(id: number, group: string): Promise<void>;

  // Bulk operations (an import, an export): a few statements per batch, whatever its size.
  /** The accounts with these ids (those that exist), by id. */
  byIds(ids: readonly number[]): Promise<User[]>;
  /** The existing accounts among `names`, by name (exact match). */
  byNames(names: readonly string[]): Promise<Map<string, ExistingAccount>>;
  /**
   * Creates or replaces accounts by name, all in as few statements as the database allows; returns each
   * name's account id. A replaced account gets a new user_token (its sessions and remembered logins
   * end). A name given twice keeps its last entry.
   */
  upsertMany(accounts: readonly AccountUpsert[]): Promise<Map<string, number>>;
  /**
   * The memberships in force of each account, by group name; with `withExpired`, expired ones too (what
   * an import wrote, to tell whether the account changed here since).
   */
  membershipsOf(ids: readonly number[], opts?: { withExpired?: boolean }): Promise<Map<number, GroupMembership[]>>;
  /** Replaces the groups of each account given (an empty list: none). */
  replaceGroups(groups: ReadonlyMap<number, readonly GroupMembership[]>): Promise<void>;
}
