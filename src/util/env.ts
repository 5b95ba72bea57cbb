// Settings read from the environment, by one set of rules for every variable: a value is trimmed, and
// an empty (or blank) one is the same as an unset one; a whole number may carry a minus sign and is then
// checked against its range, so "-1" is told the range it missed ("must be between 0 and 3600, got -1").
// Every error names its variable; none repeats a value that may hold a password (see url()).
//
// Every reader goes through read(): a form that takes a setting from elsewhere (a file named by
// NAME_FILE, say) can wrap it, or hand the readers an Env with the value filled in.

export type Env = Record<string, string | undefined>;

/** A setting that cannot be used; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The value of a variable, trimmed; undefined when it is unset or blank. */
export function read(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** A whole number from `min` to `max`. */
export function int(env: Env, name: string, dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = read(env, name);
  if (raw === undefined) return dflt;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** true, yes, on, 1 or false, no, off, 0 (any case). */
export function bool(env: Env, name: string, dflt: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return dflt;
  const v = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/** The items of a comma-separated list, trimmed, empty ones left out; undefined when the variable is unset. */
export function list(env: Env, name: string): string[] | undefined {
  const raw = read(env, name);
  return raw === undefined ? undefined : raw.split(',').map((s) => s.trim()).filter(Boolean);
}

const COUNT_PER_SECONDS = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;

/** "COUNT/SECONDS", as [count, seconds]. */
export function limit(env: Env, name: string, dflt: [number, number]): [number, number] {
  const raw = read(env, name);
  if (raw === undefined) return dflt;
  const m = COUNT_PER_SECONDS.exec(raw);
  if (!m) throw new ConfigError(`${name} must look like COUNT/SECONDS, got "${raw}"`);
  return [Number(m[1]), Number(m[2])];
}

/** "5/300,150/172800": COUNT/SECONDS conditions, comma-separated, each at least 1; "none" (or "0") for none. */
export function limits(env: Env, name: string, dflt: Array<[number, number]>): Array<{ count: number; seconds: number }> {
  const raw = read(env, name);
  if (raw === undefined) return dflt.map(([count, seconds]) => ({ count, seconds }));
  if (raw === 'none' || raw === '0') return [];
  return raw.split(',').map((part) => {
    const m = COUNT_PER_SECONDS.exec(part);
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) {
      throw new ConfigError(`${name} must look like COUNT/SECONDS[,COUNT/SECONDS…] with numbers of at least 1, or "none"; got "${raw}"`);
    }
    return { count: Number(m[1]), seconds: Number(m[2]) };
  });
}

/**
 * A URL with one of `schemes`. Its value may hold a password (postgres://user:password@…,
 * redis://:password@…), so an error never repeats it: a URL that does not parse is described by its
 * scheme alone, one with the wrong scheme by that scheme.
 */
export function url(env: Env, name: string, dflt: string, schemes: string[]): string {
  const value = read(env, name) ?? dflt;
  const form =
    name === 'MWAUTH_SERVER'
      ? `${schemes[0]}://host[:port] with a port from 1 to 65535`
      : `${schemes[0]}://user:password@host:port/…, with special characters in the user and password percent-encoded and a port from 1 to 65535`;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1];
    throw new ConfigError(
      `${name} is not a valid URL${scheme ? ` (it starts with ${scheme}://; the rest is not shown, as it may hold a password)` : ''}: ` +
        `the form is ${form}`,
    );
  }
  if (!schemes.includes(parsed.protocol.replace(/:$/, ''))) {
    throw new ConfigError(`${name} must use ${schemes.join(' or ')}, got "${parsed.protocol}"`);
  }
  return value;
}

/** A URL path starting with "/", without its trailing slashes ("/" stays "/"). */
export function path(env: Env, name: string, dflt: string): string {
  const value = read(env, name) ?? dflt;
  if (!value.startsWith('/') || /\s/.test(value)) throw new ConfigError(`${name} must be a path starting with "/", got "${value}"`);
  return value.replace(/\/+$/, '') || '/';
}
