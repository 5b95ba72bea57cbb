// Table types for Kysely. Times are integers: milliseconds since the epoch (UTC).
import type { Generated } from 'kysely';

export interface UserTable {
  user_id: Generated<number>;
  user_name: string;
  /** SHA-256 (hex) of the name's UTS #39 skeleton: confusable names share it (src/accounts/confusables.ts). */
  user_name_skeleton: string;
  user_email: string;
  /** Lower-cased address, so lookups by email ignore case on every database. */
  user_email_lc: string;
  user_email_authenticated: number | null;
  /** The name of the person behind the account, as given at creation ("" when none). */
  user_real_name: Generated<string>;
  user_password: string;
  user_newpassword: string;
  user_newpass_time: number | null;
  /**
   * The account's session generation, rotated on password change and logout: sessions and remembered
   * logins made before stop working. Never sent to anyone, and no credential by itself (sessions and
   * remember tokens hold only a keyed hash of it).
   */
  user_token: string;
  user_registration: number;
  /** For an account written by an import: the fingerprint of the record it was last written from; null: made here. */
  user_import_fingerprint: string | null;
  /** The edit count an import brought (MediaWiki's user_editcount); null: unknown or made here. */
  user_editcount: number | null;
  /** 1: a MediaWiki system account (e.g. "MediaWiki default"), brought by an import. */
  user_system: Generated<number>;
  /** 1: a MediaWiki temporary account (1.42+), brought by an import. */
  user_temp: Generated<number>;
  /** Which source the import that last wrote the account read (shown without any password); null: made here. */
  user_import_source: string | null;
  /** The account's id in the wiki it was first imported from; null: made here. */
  user_import_source_id: number | null;
  /** When an import last wrote the account (ms); null: never. */
  user_imported: number | null;
}

export interface UserGroupTable {
  ug_user: number;
  ug_group: string;
  /** When the membership ends (ms); null: it does not. */
  ug_expiry: number | null;
}

export interface UserPropertyTable {
  up_user: number;
  up_property: string;
  up_value: string;
}

export interface BlockTable {
  bl_id: Generated<number>;
  /** User id, or 0 for an IP block. */
  bl_user: number;
  /** The user name or the IP address blocked. */
  bl_target: string;
  bl_by: string;
  bl_reason: string;
  bl_timestamp: number;
  bl_expiry: number | null;
  bl_create_account: number;
  /** 0: a partial block (some pages only), which stops neither a login nor a reset nor an account creation. */
  bl_sitewide: Generated<number>;
  /** For an address: accounts logged in from it are not blocked. */
  bl_anon_only: Generated<number>;
  /** The target may not send email (kept for export). */
  bl_block_email: Generated<number>;
  /** The account's addresses are blocked along with it (kept for export). */
  bl_autoblock: Generated<number>;
  /** The account may still edit its own talk page (kept for export). */
  bl_allow_usertalk: Generated<number>;
  /** Hidden from public lists (kept for export). */
  bl_hidden: Generated<number>;
  /** An address block's first and last address as fixed-width hex (src/util/clientAddress.ts, blockRange); null for an account. */
  bl_range_start: string | null;
  bl_range_end: string | null;
  /** For an address block an import wrote: the fingerprint of its record; null: made here. */
  bl_import_fingerprint: string | null;
  /** For an address block an import wrote: the source's block id. */
  bl_import_source_id: number | null;
}

export interface BotPasswordTable {
  bp_user: number;
  bp_app_id: string;
  bp_password: string;
  /** The bot password's session generation (new when it is set or invalidated); no credential by itself. */
  bp_token: string;
  bp_grants: string;
  bp_created: number;
  /** MediaWiki's MWRestrictions as JSON ({"IPAddresses": […]}), as imported; null: none. */
  bp_restrictions: string | null;
}

export interface SessionTable {
  /** HMAC-SHA256 (server secret) of the session id: a database dump does not reveal live sessions. */
  s_key: string;
  s_user: number;
  s_data: string;
  s_expires: number;
}

/** One remembered login ("remember me"): the Token cookie's token, stored only as a keyed hash. */
export interface RememberTokenTable {
  /** HMAC-SHA256 (server secret) of the token the Token cookie carries. */
  rt_key: string;
  rt_user: number;
  /** Keyed hash of the account's user_token when it was made: a new user_token voids it. */
  rt_generation: string;
  rt_created: number;
  rt_expires: number;
}

export interface CounterTable {
  c_key: string;
  c_count: number;
  c_expires: number;
}

export interface ResetRequestTable {
  rr_id: Generated<number>;
  rr_created: number;
  rr_performer_id: number;
  rr_performer_name: string;
  rr_performer_ip: string;
  rr_username: string | null;
  rr_email: string | null;
  /**
   * 'pending' until a worker first takes it; 'processing' while a worker holds it (a lease) or while it
   * waits for another attempt (no lease); then what the worker decided (queued, nomatch, cooldown, limited)
   * or 'failed' (given up). A job of the reset worker's queue (src/jobs/queue.ts).
   */
  rr_status: string;
  /** When it was handled, whatever the outcome (given up too); null until then. */
  rr_processed: number | null;
  /** Times a worker took the request; after MAX_ATTEMPTS failures it is 'failed'. */
  rr_attempts: Generated<number>;
  /** When it is due (its first attempt, or the next one after a failure); 0: at once. */
  rr_next_attempt: Generated<number>;
  /** While a worker holds it: when its lease runs out. Null otherwise. */
  rr_lease_until: number | null;
  /** While a worker holds it: the random token of that worker's claim. Null otherwise. */
  rr_lease_owner: string | null;
}

export interface OutboxTable {
  ob_id: Generated<number>;
  ob_created: number;
  ob_kind: string;
  ob_user: number;
  ob_to: string;
  ob_subject: string;
  ob_message_id: string;
  ob_raw: string;
  /** queued | sending | sent | failed: a job of the delivery worker's queue (src/jobs/queue.ts). */
  ob_status: string;
  /** Sends started. */
  ob_attempts: number;
  /** When a queued mail is due (its first attempt, or the next one after a failure). */
  ob_next_attempt: number;
  /** While a worker sends it: when its lease runs out. Null otherwise. */
  ob_lease_until: number | null;
  /** While a worker sends it: the random token of that worker's claim. Null otherwise. */
  ob_lease_owner: string | null;
  ob_last_error: string | null;
  /** When the server accepted it (sent only). */
  ob_sent: number | null;
  /** When it left the queue: sent, or failed for good. Null while queued or being sent. */
  ob_processed: number | null;
}

/** One event of the audit trail (see src/audit/log.ts). Never holds a password, token or session id. */
export interface AuditEventTable {
  ae_id: Generated<number>;
  ae_time: number;
  /** e.g. login.success, reset.requested, password.changed (AUDIT_TYPES). */
  ae_type: string;
  /** The account the event is about (the requester for reset.requested), when there is one. */
  ae_user: number | null;
  ae_user_name: string | null;
  ae_ip: string | null;
  /** A JSON object. */
  ae_details: string;
}

export interface OutboxMaskedTable {
  /** ob_id of the message. */
  om_outbox: number;
  /** The message as sent, with its secrets (the temporary password) replaced by a mask. */
  om_raw: string;
}

/** Settings the server records for other processes (see src/mail/site.ts): one JSON value per name. */
export interface SiteSettingsTable {
  ss_name: string;
  ss_value: string;
  ss_updated: number;
}

/** One row per look-alike group a new account was made in: locked while an account is created (src/accounts/create.ts). */
export interface UserNameClaimTable {
  unc_skeleton: string;
}

/** One row (uc_row 1): there are uc_users accounts with an id up to uc_through (src/storage/sql/users.ts). */
export interface UserCountTable {
  uc_row: number;
  uc_through: number;
  uc_users: number;
}

export interface Database {
  user: UserTable;
  user_name_claim: UserNameClaimTable;
  user_groups: UserGroupTable;
  user_properties: UserPropertyTable;
  block: BlockTable;
  bot_passwords: BotPasswordTable;
  session: SessionTable;
  remember_token: RememberTokenTable;
  counter: CounterTable;
  reset_request: ResetRequestTable;
  outbox: OutboxTable;
  outbox_masked: OutboxMaskedTable;
  audit_event: AuditEventTable;
  site_settings: SiteSettingsTable;
  user_count: UserCountTable;
}
