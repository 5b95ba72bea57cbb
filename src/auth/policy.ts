// What a new password must satisfy (MediaWiki's default policy, with our own common-password list).
import { msg, type Msg } from '../util/errors.js';

export const MAX_PASSWORD_BYTES = 4096;
const PRIVILEGED = new Set(['bureaucrat', 'sysop', 'interface-admin', 'bot']);

// Passwords seen most often in public breach corpora; a new password may not be one of them.
const COMMON = new Set(
  (
    '123456 123456789 12345678 password qwerty123 qwerty 1234567 111111 1234567890 123123 abc123 1234 ' +
    'password1 iloveyou 1q2w3e4r 000000 qwertyuiop 123321 654321 666666 121212 dragon monkey football ' +
    'letmein baseball sunshine princess welcome shadow superman michael 7777777 master 987654321 ' +
    'passw0rd trustno1 zaq12wsx 1qaz2wsx qazwsx admin admin123 login starwars whatever charlie donald ' +
    'freedom hello hottie loveme ninja mustang access flower solo batman 696969 password123 aa123456 ' +
    'asdfghjkl asdfgh zxcvbnm 112233 secret changeme test123 test1234 wikipedia mediawiki'
  ).split(/\s+/),
);

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
  if (COMMON.has(lower)) return msg('passwordincommonlist');
  return null;
}
