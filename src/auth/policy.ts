// What a new password must satisfy (MediaWiki's default policy, with its common-password list matched in any case).
import { readFileSync } from 'node:fs';
import { msg, type Msg } from '../util/errors.js';

export const MAX_PASSWORD_BYTES = 4096;
const PRIVILEGED = new Set(['bureaucrat', 'sysop', 'interface-admin', 'bot']);

// The 100,000 most common passwords of SecLists, the list MediaWiki uses (see common-passwords.LICENSE):
// one a line, lowercased; scripts/build-common-passwords.ts makes the file. Read once, at the first check.
const COMMON_FILE = new URL('./common-passwords.txt', import.meta.url);
// Words a wiki's users are likely to try that the list lacks.
const SITE_WORDS = ['wikipedia', 'mediawiki', 'login'];
let common: Set<string> | undefined;

/** The common passwords, lowercased; a new password may not be one of them, in any case. */
export function commonPasswords(): ReadonlySet<string> {
  if (!common) {
    const set = new Set(readFileSync(COMMON_FILE, 'utf8').split(/\r?\n/));
    set.delete('');
    for (const word of SITE_WORDS) set.add(word);
    common = set;
  }
  return common;
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
  if (commonPasswords().has(lower)) out.push({ message: msg('passwordincommonlist'), fatal: false });
  // Privileged groups may not log in with an empty password at all (MinimumPasswordLengthToLogin).
  if (min > 1 && password === '') out.push({ message: msg('passwordtooshort', 1), fatal: true });
  return out;
}

/** The first rule a new password breaks, or null when it is acceptable. */
export function checkNewPassword(password: string, userName: string, groups: readonly string[]): Msg | null {
  return passwordProblems(password, userName, groups)[0]?.message ?? null;
}
