// What a new password must satisfy (MediaWiki's default policy, with its common-password list matched in any case).
import { readFileSync } from 'node:fs';
import { msg, type Msg } from '../util/errors.js';

export const MAX_PASSWORD_BYTES = 4096;
const PRIVILEGED = new Set(['bureaucrat', 'sysop', 'interface-admin', 'bot']);

// The 100,000 most common passwords of SecLists, the list MediaWiki uses (see common-passwords.LICENSE):
// one a line, lowercased, sorted by their UTF-8 bytes; scripts/build-common-passwords.ts makes the file.
const COMMON_FILE = new URL('./common-passwords.txt', import.meta.url);
// Words a wiki's users are likely to try that the list lacks.
const SITE_WORDS = new Set(['wikipedia', 'mediawiki', 'login']);

/**
 * The list as it is in the file, one buffer, and where each line starts: about 1 MB outside the JavaScript
 * heap, where a Set of its 96,518 strings would take some 9 MB of it. A word is found by binary search.
 */
export class PackedWordList {
  /** Start of line i; the last entry is the end of the last line's newline. */
  private readonly starts: Uint32Array;

  constructor(private readonly bytes: Buffer) {
    let lines = 0;
    for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) lines++;
    if (bytes.length > 0 && bytes[bytes.length - 1] !== 10) throw new Error('the word list does not end with a newline');
    const starts = new Uint32Array(lines + 1);
    for (let i = 1, at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) starts[i++] = at + 1;
    this.starts = starts;
    for (let i = 1; i < lines; i++) {
      if (this.compare(i - 1, bytes.subarray(starts[i]!, starts[i + 1]! - 1)) >= 0) throw new Error(`the word list is not sorted and unique at line ${i + 1}`);
    }
  }

  get size(): number {
    return this.starts.length - 1;
  }

  /** Line i against a word's bytes: negative when the line sorts first. */
  private compare(i: number, word: Buffer): number {
    return this.bytes.compare(word, 0, word.length, this.starts[i]!, this.starts[i + 1]! - 1);
  }

  has(word: string): boolean {
    if (word === '' || word.includes('\n')) return false;
    const bytes = Buffer.from(word, 'utf8');
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compare(mid, bytes);
      if (c === 0) return true;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}

let common: PackedWordList | undefined;

/** The common-password list, lowercased, read at the first check (a process that checks none never reads it). */
export function commonPasswords(): PackedWordList {
  return (common ??= new PackedWordList(readFileSync(COMMON_FILE)));
}

/** Whether a new password is a common one, in any case. */
export function isCommonPassword(password: string): boolean {
  const lower = password.toLowerCase();
  return SITE_WORDS.has(lower) || commonPasswords().has(lower);
}

export function minimumLength(groups: readonly string[]): number {
  return groups.some((g) => PRIVILEGED.has(g)) ? 10 : 1;
}

/** One broken rule: a fatal one makes the password unusable, the others ask for a better one. */
export interface PolicyProblem {
  message: Msg;
  fatal: boolean;
}

// MediaWiki's PasswordCannotMatchDefaults: its documentation's example password, and the default
// accounts of old test setups with their passwords.
const EXAMPLE_PASSWORD = 'ExamplePassword';
const DEFAULT_LOGINS: Record<string, string> = { Useruser: 'Passpass', Useruser1: 'Passpass1', Apitestsysop: 'testpass', Apitestuser: 'testpass' };

/**
 * Every rule a new password breaks, in MediaWiki's order: minimum length, not within the user name, not
 * a default login, maximum length, not a common password (and, for privileged groups, not empty).
 */
export function passwordProblems(password: string, userName: string, groups: readonly string[]): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  const min = minimumLength(groups);
  if ([...password].length < min) out.push({ message: msg('passwordtooshort', min), fatal: false });
  const lower = password.toLowerCase();
  if (lower.length > 0 && userName.toLowerCase().includes(lower)) out.push({ message: msg('password-substring-username-match'), fatal: false });
  if (password === EXAMPLE_PASSWORD || DEFAULT_LOGINS[userName] === password) out.push({ message: msg('password-login-forbidden'), fatal: false });
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) out.push({ message: msg('passwordtoolong', MAX_PASSWORD_BYTES), fatal: true });
  if (isCommonPassword(password)) out.push({ message: msg('passwordincommonlist'), fatal: false });
  // Privileged groups may not log in with an empty password at all (MinimumPasswordLengthToLogin).
  if (min > 1 && password === '') out.push({ message: msg('passwordtooshort', 1), fatal: true });
  return out;
}

/** The first rule a new password breaks, or null when it is acceptable. */
export function checkNewPassword(password: string, userName: string, groups: readonly string[]): Msg | null {
  return passwordProblems(password, userName, groups)[0]?.message ?? null;
}
