// Parameter types a module declares, and their validation (MediaWiki's ParamValidator rules).
import { canonicalUserName } from '../accounts/names.js';
import { ApiError, type ApiMessage } from './errors.js';
import type { ApiRequest } from './request.js';

export type ParamType = 'string' | 'integer' | 'boolean' | 'user' | 'password' | 'enum' | 'timestamp' | 'text';

export interface ParamSpec {
  type: ParamType;
  values?: readonly string[];
  multi?: boolean;
  /** With multi: "*" stands for every value. */
  allowAll?: boolean;
  required?: boolean;
  default?: string | number | boolean;
  sensitive?: boolean;
  min?: number;
  max?: number;
  /** Token type of a "token" parameter, for paraminfo. */
  tokentype?: string;
  deprecated?: boolean;
  /** For "user": the forms accepted, "name" (the default) and "id" ("#123", returned as is for the module to look up). */
  subtypes?: ReadonlyArray<'name' | 'id'>;
}

export type ParamValue = string | number | boolean | string[] | null;
export type ParamValues = Record<string, ParamValue>;

export const param = {
  string: (o: Partial<ParamSpec> = {}): ParamSpec => ({ type: 'string', ...o }),
  text: (o: Partial<ParamSpec> = {}): ParamSpec => ({ type: 'text', ...o }),
  int: (o: Partial<ParamSpec> = {}): ParamSpec => ({ type: 'integer', ...o }),
  bool: (o: Partial<ParamSpec> = {}): ParamSpec => ({ type: 'boolean', ...o }),
  user: (o: Partial<ParamSpec> = {}): ParamSpec => ({ type: 'user', ...o }),
  password: (o: Partial<ParamSpec> = {}): ParamSpec => ({ type: 'password', sensitive: true, ...o }),
  enum: (values: readonly string[], o: Partial<ParamSpec> = {}): ParamSpec => ({ type: 'enum', values, ...o }),
  multi: (values: readonly string[], o: Partial<ParamSpec> = {}): ParamSpec => ({ type: 'enum', values, multi: true, ...o }),
};

export const MULTI_LIMIT = 50;

/** Parameter names and values travel as "plaintext" parameters (visible in errorformat=raw). */
const pt = (text: string) => ({ plaintext: text });
export const list = (items: string[]) => ({ list: Object.fromEntries(items.map((v, i) => [String(i), v])), type: 'comma' as const });

/** Splits a multi-value: "|" separated, or "\x1f" separated when the value starts with U+001F. */
export function splitMulti(value: string): string[] {
  if (value === '') return [];
  if (value.startsWith('\x1f')) return value.slice(1).split('\x1f');
  return value.split('|');
}

export interface ValidationOutcome {
  values: ParamValues;
  warnings: ApiMessage[];
}

/** Validates one parameter; `name` is the name on the wire (with the module's prefix). */
export function validateParam(req: ApiRequest, name: string, spec: ParamSpec, warnings: ApiMessage[]): ParamValue {
  const raw = req.get(name);
  if (spec.type === 'boolean') return raw !== undefined;
  if (raw === undefined) {
    if (spec.required) throw new ApiError('missingparam', 'paramvalidator-missingparam', [pt(name)]);
    if (spec.default === undefined) return spec.multi ? null : null;
    if (spec.multi && typeof spec.default === 'string') return splitMulti(spec.default);
    return spec.default;
  }
  const value = raw.normalize('NFC');
  switch (spec.type) {
    case 'string':
    case 'text':
    case 'password':
      // A required text given empty is as good as missing (MediaWiki's StringDef).
      if (value === '' && spec.required) throw new ApiError('missingparam', 'paramvalidator-missingparam', [pt(name)]);
      if (spec.max !== undefined && Buffer.byteLength(value) > spec.max) {
        throw new ApiError('maxbytes', 'paramvalidator-maxbytes', [pt(name), spec.max]);
      }
      return value;
    case 'integer': {
      if (!/^[+-]?\d+$/.test(value.trim())) throw new ApiError('badinteger', 'paramvalidator-badinteger', [pt(name), pt(value)]);
      const n = Number(value.trim());
      if (spec.min !== undefined && n < spec.min) {
        warnings.push({ code: 'outofrange', key: 'paramvalidator-outofrange-min', params: [pt(name), pt(value), spec.min] });
        return spec.min;
      }
      if (spec.max !== undefined && n > spec.max) {
        warnings.push({ code: 'outofrange', key: 'paramvalidator-outofrange-max', params: [pt(name), pt(value), spec.max] });
        return spec.max;
      }
      return n;
    }
    case 'user': {
      if (spec.subtypes?.includes('id') && /^#\d+$/.test(value)) return value;
      const canonical = canonicalUserName(value);
      if (canonical === null) throw new ApiError('baduser', 'paramvalidator-baduser', [pt(name), pt(value)]);
      return canonical;
    }
    case 'enum': {
      const allowed = spec.values ?? [];
      if (!spec.multi) {
        if (!allowed.includes(value)) {
          throw new ApiError('badvalue', 'paramvalidator-badvalue-enumnotmulti', [pt(name), pt(value)]);
        }
        return value;
      }
      const parts = splitMulti(value);
      if (parts.length > MULTI_LIMIT) {
        throw new ApiError('toomanyvalues', 'paramvalidator-toomanyvalues', [pt(name), MULTI_LIMIT]);
      }
      if (spec.allowAll && parts.length === 1 && parts[0] === '*') return [...allowed];
      const good: string[] = [];
      const bad: string[] = [];
      for (const p of parts) {
        if (allowed.includes(p)) {
          if (!good.includes(p)) good.push(p);
        } else if (!bad.includes(p)) bad.push(p);
      }
      if (bad.length) {
        warnings.push({
          code: 'unrecognizedvalues',
          key: 'paramvalidator-unrecognizedvalues',
          params: [pt(name), list(bad), bad.length],
          data: { values: bad },
        });
      }
      return good;
    }
    case 'timestamp':
      return value;
  }
}

export function validateParams(req: ApiRequest, prefix: string, specs: Record<string, ParamSpec>, warnings: ApiMessage[]): ParamValues {
  const out: ParamValues = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = validateParam(req, prefix + name, spec, warnings);
  return out;
}
