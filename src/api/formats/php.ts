// format=php: PHP's serialize() of the result, as ApiFormatPhp prints it (string lengths in UTF-8
// bytes; integers, floats and booleans each in their own form; keys as PHP holds them).
import { PhpFloat, isArray, type Key, type Node } from '../result.js';
import { allEntries } from './json.js';

/** PHP's shortest round-trip spelling of a float (serialize_precision -1). */
export function phpFloat(n: number): string {
  if (Number.isNaN(n)) return 'NAN';
  if (!Number.isFinite(n)) return n > 0 ? 'INF' : '-INF';
  const s = String(n);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const mantissa = s.slice(0, e);
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${s.slice(e + 1)}`;
}

function str(s: string): string {
  return `s:${Buffer.byteLength(s, 'utf8')}:"${s}";`;
}

function key(k: Key): string {
  return typeof k === 'number' ? `i:${k};` : str(k);
}

export function serializePhp(n: Node): string {
  if (n === null) return 'N;';
  if (typeof n === 'boolean') return `b:${n ? 1 : 0};`;
  if (typeof n === 'number') return Number.isInteger(n) ? `i:${n};` : `d:${phpFloat(n)};`;
  if (n instanceof PhpFloat) return `d:${phpFloat(n.value)};`;
  if (typeof n === 'string') return str(n);
  if (!isArray(n)) return 'N;';
  const entries = allEntries(n);
  const body = entries.map(([k, v]) => key(k) + serializePhp(v)).join('');
  // An object (never produced by ApiFormatPhp's transforms, kept for completeness) is a stdClass.
  if (n.object) return `O:8:"stdClass":${entries.length}:{${body}}`;
  return `a:${entries.length}:{${body}}`;
}
