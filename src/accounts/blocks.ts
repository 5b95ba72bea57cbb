// Blocks of accounts and IP addresses: what a block is, and the store that keeps them. The
// implementation is in src/storage/sql/blocks.ts; test/contracts/blocks.test.ts is what it must do.
import { blockRange } from '../util/clientAddress.js';

/**
 * The target a block is stored under: the account's name, or an address or range in its one spelling
 * ("192.0.2.7", "192.0.2.0/24", "2001:db8::/32"; see blockRange in src/util/clientAddress.ts).
 */
export function blockTarget(userId: number, target: string): string {
  return userId > 0 ? target : (blockRange(target)?.target ?? target);
}

export interface Block {
  id: number;
  /** The blocked account's id, or 0 for an address block. */
  userId: number;
  target: string;
  by: string;
  reason: string;
  timestamp: number;
  expiry: number | null;
  /** "Account creation disabled": such a block also stops password resets. */
  createAccount: boolean;
  /** false: a partial block (some pages only), which stops nothing mwauth does; find() passes it over. */
  sitewide: boolean;
  /** For an address: accounts logged in from it are not blocked. */
  anonOnly: boolean;
  /** The target may not send email. */
  email: boolean;
  /** The account's addresses are blocked along with it (MediaWiki's autoblock). */
  autoblock: boolean;
  /** The account may still edit its own talk page. */
  allowUserTalk: boolean;
  /** Hidden from public lists. */
  hidden: boolean;
  /** For an address block an import wrote: the fingerprint of its record; null: made here. */
  importFingerprint: string | null;
  /** For an address block an import wrote: the source's block id; null: made here. */
  importSourceId: number | null;
}

export interface BlockInput {
  /** The account's id, or 0 for an address. */
  userId: number;
  /** The account's name, or the address. */
  target: string;
  by: string;
  reason: string;
  /** When it was made (ms; default now). */
  timestamp?: number;
  /** null or absent: indefinite. */
  expiry?: number | null;
  /** Default true. */
  createAccount?: boolean;
  /** Default true. */
  sitewide?: boolean;
  /** Default false. */
  anonOnly?: boolean;
  /** Default false. */
  email?: boolean;
  /** Default false. */
  autoblock?: boolean;
  /** Default true. */
  allowUserTalk?: boolean;
  /** Default false. */
  hidden?: boolean;
  /** For an imported address block: its record's fingerprint. Default null (made here). */
  importFingerprint?: string | null;
  /** For an imported address block: the source's block id. Default null. */
  importSourceId?: number | null;
}

export interface BlockStore {
  /**
   * The sitewide block in force for a user (by id) or, failing that, for the IP address: a block of the
   * address itself or of a range holding it, the narrowest first (an address block that spares logged-in
   * accounts does not count for a user); null when none.
   */
  find(userId: number, ip: string): Promise<Block | null>;
  /** Blocks a target, replacing a block it has. */
  add(input: BlockInput): Promise<void>;
  /** Lifts the block of an account (by name) or of an address or range (in any spelling); false when there was none. */
  remove(target: string): Promise<boolean>;
  /** Every block, oldest first. */
  list(): Promise<Block[]>;

  // Bulk operations (an import, an export).
  /** The blocks of each account given (those without are absent). */
  ofUsers(userIds: readonly number[]): Promise<Map<number, Block[]>>;
  /** Replaces every block of each account given by `blocks` (each of which names one of them). */
  replaceForUsers(userIds: readonly number[], blocks: readonly BlockInput[]): Promise<void>;
  /** Adds blocks, replacing any on the same target, in a few statements. */
  upsertMany(blocks: readonly BlockInput[]): Promise<void>;
  /** The blocks of these address targets (in any spelling), by their stored target (blockTarget). */
  ofAddresses(targets: readonly string[]): Promise<Map<string, Block>>;
  /** Keyset iteration over address blocks: up to `limit` with an id above `afterId`, by id. */
  addressBlocksAfter(afterId: number, limit: number): Promise<Block[]>;
}
