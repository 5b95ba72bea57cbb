// Where a MediaWiki database is: the SOURCE argument of `mwauth import mediawiki`.
//   /path/wiki.sqlite, sqlite:/path/wiki.sqlite, sqlite:///path/wiki.sqlite
//   mysql://user:pass@host:port/db (also mariadb://)
//   postgres://user:pass@host:port/db[?schema=mediawiki] (also postgresql://)
import { isAbsolute, resolve } from 'node:path';

export type SourceSpec =
  | { kind: 'sqlite'; path: string }
  | { kind: 'mysql'; url: string }
  | { kind: 'postgres'; url: string; schema: string | null };

export class MediaWikiSourceError extends Error {
  override name = 'MediaWikiSourceError';
}

export function parseSource(source: string): SourceSpec {
  const s = source.trim();
  if (s === '') throw new MediaWikiSourceError('No MediaWiki database given: a SQLite file, mysql://… or postgres://…');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(s)?.[1]?.toLowerCase();
  if (scheme === undefined || /^[a-z]$/i.test(scheme)) return { kind: 'sqlite', path: resolve(s) }; // a path (or C:\…)
  if (scheme === 'sqlite') {
    const rest = s.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (rest === '') throw new MediaWikiSourceError('sqlite: needs the path of the database file, e.g. sqlite:/var/lib/mediawiki/wiki.sqlite');
    return { kind: 'sqlite', path: isAbsolute(rest) ? rest : resolve(rest) };
  }
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new MediaWikiSourceError(`Not a database URL: ${describeSource(s)}`);
  }
  if (!url.hostname) throw new MediaWikiSourceError(`${describeSource(s)}: the URL names no host`);
  if (url.pathname.replace(/^\//, '') === '') throw new MediaWikiSourceError(`${describeSource(s)}: the URL names no database`);
  if (scheme === 'mysql' || scheme === 'mariadb') return { kind: 'mysql', url: s };
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return { kind: 'postgres', url: s, schema: url.searchParams.get('schema') };
  }
  throw new MediaWikiSourceError(`${describeSource(s)}: unknown kind of database "${scheme}:" (a SQLite file, mysql://… or postgres://…)`);
}

/** The source as it may be shown: a URL's password replaced by "***". */
export function describeSource(source: string): string {
  const s = source.trim();
  if (!/^[a-z][a-z0-9+.-]+:\/\//i.test(s) || /^sqlite:/i.test(s)) return s;
  try {
    const url = new URL(s);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    // Not parseable: hide whatever sits between "//user:" and "@".
    return s.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
  }
}
