// Parameter types a module declares, and their validation (MediaWiki's ParamValidator rules).
import { canonicalUserName } from '../accounts/names.js';
import { ApiError, type ApiMessage } from './errors.js';
import { cleanText } from './result.js';
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
  /** An enum of modules: each value's module path (paraminfo's "submodules"). */
  submodules?: Record<string, string>;
  /** Prefix of the parameters of the chosen submodule (query's generator: "g"). */
  submoduleParamPrefix?: string;
}

export type ParamValue = string | number | boolean | string[] | number[] | null;
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
/** A list of values, each plain text, as MediaWiki's message parameters carry them. */
const textList = (items: readonly string[], type: 'comma' | 'text') => ({ list: items.map(pt), type });
const num = (n: number) => ({ num: n });

/** Splits a multi-value: "|" separated, or "\x1f" separated when the value starts with U+001F. */
export function splitMulti(value: string): string[] {
  if (value === '') return [];
  if (value.startsWith('\x1f')) return value.slice(1).split('\x1f');
  return value.split('|');
}

/**
 * Validates one parameter; `name` is the name on the wire (with the module's prefix), `feature` names
 * it in a deprecation warning ("action=paraminfo&querymodules").
 */
export function validateParam(req: ApiRequest, name: string, spec: ParamSpec, warnings: ApiMessage[], feature = name): ParamValue {
  const given = req.get(name);
  // Text is used as ApiResult would store it; a value that had to change is warned about.
  // A value starting with U+001F keeps its U+001F separators (a multi-value).
  const raw = given === undefined ? undefined : given.startsWith('\x1f') ? given.split('\x1f').map(cleanText).join('\x1f') : cleanText(given);
  if (given !== undefined && raw !== given) warnings.push({ code: 'badutf8', key: 'apiwarn-badutf8', params: [name] });
  if (raw !== undefined && spec.deprecated) {
    warnings.push({ code: 'deprecation', key: 'paramvalidator-param-deprecated', params: [pt(name), pt(raw)], data: { feature } });
  }
  if (spec.type === 'boolean') return raw !== undefined;
  if (raw === undefined) {
    if (spec.required) throw new ApiError('missingparam', 'paramvalidator-missingparam', [pt(name)]);
    if (spec.default === undefined) return spec.multi ? null : null;
    if (spec.multi && typeof spec.default === 'string') return splitMulti(spec.default);
    return spec.default;
  }
  const value = raw.normalize('NFC');
  if (spec.multi && spec.type !== 'enum') {
    const parts = splitMulti(value);
    if (parts.length > MULTI_LIMIT) {
      throw new ApiError('toomanyvalues', 'paramvalidator-toomanyvalues', [pt(name), num(MULTI_LIMIT)], { limit: MULTI_LIMIT, lowlimit: MULTI_LIMIT, highlimit: 500 });
    }
    const values = parts.map((v) => validateSingle(name, v, spec, warnings));
    return spec.type === 'integer' ? (values as number[]) : (values as string[]);
  }
  // "\x1f" starts a multi-value; a single value may not.
  if (!spec.multi && value.startsWith('\x1f')) throw new ApiError('badvalue', 'paramvalidator-notmulti', [pt(name), pt(value)]);
  return validateSingle(name, value, spec, warnings);
}

function validateSingle(name: string, value: string, spec: ParamSpec, warnings: ApiMessage[]): ParamValue {
  switch (spec.type) {
    case 'string':
    case 'text':
    case 'password':
      // A required text given empty is missing (token=, logintoken=, createtoken=): not a wrong value.
      if (spec.required && value === '') throw new ApiError('missingparam', 'paramvalidator-missingparam', [pt(name), pt(value)]);
      if (spec.max !== undefined && Buffer.byteLength(value) > spec.max) {
        const len = Buffer.byteLength(value);
        throw new ApiError('maxbytes', 'paramvalidator-maxbytes', [pt(name), pt(spec.sensitive ? '' : value), num(spec.max), num(len)], { maxbytes: spec.max, maxchars: null });
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
          throw new ApiError('badvalue', 'paramvalidator-badvalue-enumnotmulti', [pt(name), pt(value), textList(allowed, 'text'), num(allowed.length)]);
        }
        return value;
      }
      const parts = splitMulti(value);
      if (parts.length > MULTI_LIMIT) {
        throw new ApiError('toomanyvalues', 'paramvalidator-toomanyvalues', [pt(name), num(MULTI_LIMIT)], { limit: MULTI_LIMIT, lowlimit: MULTI_LIMIT, highlimit: 500 });
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
          params: [pt(name), pt(value), textList(bad, 'comma'), num(bad.length)],
          data: { values: bad },
        });
      }
      return good;
    }
    case 'timestamp':
      return value;
    case 'boolean':
      return true;
  }
}

/** `featurePrefix` is the module's place in deprecation features: "action=paraminfo&", "action=query&meta=siteinfo&". */
export function validateParams(req: ApiRequest, prefix: string, specs: Record<string, ParamSpec>, warnings: ApiMessage[], featurePrefix = ''): ParamValues {
  const out: ParamValues = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = validateParam(req, prefix + name, spec, warnings, featurePrefix + prefix + name);
  return out;
}
