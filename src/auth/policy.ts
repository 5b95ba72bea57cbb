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

/** The first rule a new password breaks, or null when it is acceptable. */
export function checkNewPassword(password: string, userName: string, groups: readonly string[]): Msg | null {
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return msg('passwordtoolong', MAX_PASSWORD_BYTES);
  const min = minimumLength(groups);
  if ([...password].length < min) return msg('passwordtooshort', min);
  const lower = password.toLowerCase();
  if (lower.length > 0 && userName.toLowerCase().includes(lower)) return msg('password-substring-username-match');
  if (commonPasswords().has(lower)) return msg('passwordincommonlist');
  return null;
}
