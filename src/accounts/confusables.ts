// Names that look alike: Unicode's UTS #39 skeletons. Two names with the same skeleton are confusable
// ("Аlice" with a Cyrillic А, "AIice" with a capital I, "Paypa1"); a new account may not take a name
// confusable with an existing one. The mapping is Unicode's confusables.txt, as the unhomoglyph package
// ships it (MIT; Unicode 13.0 data).
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

// The mapping is some 100 kB of JSON: read at the first skeleton, not by every process that opens the
// database (a command that only lists accounts never needs it).
let mapping: ((s: string) => string) | undefined;
const unhomoglyph = (s: string) => (mapping ??= createRequire(import.meta.url)('unhomoglyph') as (s: string) => string)(s);

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/** UTS #39 skeleton: NFD, without default-ignorable code points, each character mapped to its prototype, NFD again. */
export function skeleton(name: string): string {
  return unhomoglyph(name.normalize('NFD').replace(IGNORABLE, '')).normalize('NFD');
}

/**
 * What the database stores and indexes for a name (user_name_skeleton): the SHA-256 of its skeleton, in
 * hex. A skeleton can be ten times longer than its name, more than an index entry may hold.
 */
export function skeletonKey(name: string): string {
  return createHash('sha256').update(skeleton(name), 'utf8').digest('hex');
}
