// A cookie jar as a MediaWiki client program keeps one: name=value pairs from Set-Cookie lines, dropped
// when the server expires them (value "deleted", Max-Age ≤ 0, or an Expires in the past without Max-Age).
export class CookieJar {
  readonly cookies = new Map<string, string>();

  /** The Cookie header to send, or undefined while the jar is empty. */
  header(): string | undefined {
    return this.cookies.size ? [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
  }

  keep(lines: string[]): void {
    for (const line of lines) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq < 0) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const maxAge = attrs.map((a) => /^\s*max-age=(-?\d+)\s*$/i.exec(a)).find(Boolean);
      const expires = attrs.map((a) => /^\s*expires=(.*)$/i.exec(a)).find(Boolean);
      const gone = value === 'deleted' || (maxAge && Number(maxAge[1]) <= 0) || (!maxAge && expires && Date.parse(expires[1]!) < Date.now());
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}
