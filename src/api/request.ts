// One parameter map from the query string and the body, remembering where each value came from.

export interface RawRequest {
  method: string;
  query: Record<string, string | string[] | undefined>;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  ip: string;
}

/**
 * At most this many parameters are read from the query string, and as many from the body (PHP's
 * max_input_vars default); a request with more is refused with "toomanyparams".
 */
export const MAX_PARAMS = 1000;

export class ApiRequest {
  readonly params = new Map<string, string>();
  /** The query string or the body held more than MAX_PARAMS parameters. */
  tooMany = false;
  readonly fromQuery = new Set<string>();
  private readonly bodyNames: string[] = [];
  readonly used = new Set<string>();

  constructor(
    readonly method: string,
    readonly headers: Record<string, string | string[] | undefined>,
    readonly ip: string,
  ) {}

  static from(raw: RawRequest): ApiRequest {
    const r = new ApiRequest(raw.method.toUpperCase(), raw.headers, raw.ip);
    r.addAll(raw.query, true);
    if (raw.body && typeof raw.body === 'object' && !Buffer.isBuffer(raw.body)) {
      r.addAll(raw.body as Record<string, unknown>, false);
    }
    return r;
  }

  private addAll(src: Record<string, unknown>, fromQuery: boolean): void {
    if (Object.keys(src).length > MAX_PARAMS) this.tooMany = true;
    for (const [name, value] of Object.entries(src)) {
      // With repeated names the last one wins, as in PHP.
      const v = Array.isArray(value) ? value[value.length - 1] : value;
      if (v === undefined || v === null) continue;
      const text = typeof v === 'string' ? v : String(v);
      this.params.set(name, text);
      // A name seen in the query string counts as "in the query string" even when the body repeats it.
      if (fromQuery) this.fromQuery.add(name);
      else this.bodyNames.push(name);
    }
  }

  has(name: string): boolean {
    return this.params.has(name);
  }

  /** Reads a raw value and marks the parameter as used. */
  get(name: string): string | undefined {
    this.used.add(name);
    return this.params.get(name);
  }

  header(name: string): string | undefined {
    const v = this.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
  }

  /** Every parameter name in PHP's order: the body's first, then the query string's. */
  names(): string[] {
    return [...new Set([...this.bodyNames, ...this.params.keys()])];
  }

  unused(): string[] {
    return [...this.params.keys()].filter((k) => !this.used.has(k));
  }

  /** Names among `names` that arrived in the query string (they must be posted). */
  inQuery(names: string[]): string[] {
    return names.filter((n) => this.fromQuery.has(n));
  }
}
