// The printers (MediaWiki's format modules): json, jsonfm, php, phpfm, xml, xmlfm, rawfm, none.
// Each declares its own parameters, which are read when the result is printed (as MediaWiki does:
// a bad formatversion is found only after the module ran).
import { param, type ParamSpec, type ParamValues } from '../params.js';
import { transform, type ResultArray } from '../result.js';
import { prettyBlock, renderHtmlResult } from './html.js';
import { encodeJson } from './json.js';
import { serializePhp } from './php.js';
import { printXml } from './xml.js';

export type PrinterBase = 'json' | 'raw' | 'php' | 'xml' | 'none';

export interface PrinterDef {
  name: string;
  base: PrinterBase;
  /** The HTML form (…fm), for people. */
  html: boolean;
  params: Record<string, ParamSpec>;
  summary: string;
}

const FORMAT_VERSION = param.enum(['1', '2', 'latest'], { default: '1' });
const HTML_PARAMS: Record<string, ParamSpec> = { wrappedhtml: param.bool() };
const JSON_PARAMS: Record<string, ParamSpec> = { callback: param.string(), utf8: param.bool(), ascii: param.bool(), formatversion: FORMAT_VERSION };
const XML_PARAMS: Record<string, ParamSpec> = { xslt: param.string(), includexmlnamespace: param.bool() };

function def(name: string, base: PrinterBase, html: boolean, own: Record<string, ParamSpec>, summary: string): PrinterDef {
  return { name, base, html, params: html ? { ...HTML_PARAMS, ...own } : own, summary };
}

/** In MediaWiki's registration order (the order its error messages list them in). */
export const PRINTERS: readonly PrinterDef[] = [
  def('json', 'json', false, JSON_PARAMS, 'The result as JSON.'),
  def('jsonfm', 'json', true, JSON_PARAMS, 'The result as JSON, in a readable HTML page.'),
  def('php', 'php', false, { formatversion: FORMAT_VERSION }, 'The result as serialized PHP.'),
  def('phpfm', 'php', true, { formatversion: FORMAT_VERSION }, 'The result as serialized PHP, in a readable HTML page.'),
  def('xml', 'xml', false, XML_PARAMS, 'The result as XML.'),
  def('xmlfm', 'xml', true, XML_PARAMS, 'The result as XML, in a readable HTML page.'),
  def('rawfm', 'raw', true, {}, 'The result with its printing metadata, as JSON in a readable HTML page.'),
  def('none', 'none', false, {}, 'No output at all.'),
];

export const PRINTER_NAMES = PRINTERS.map((p) => p.name);

export function printerByName(name: string): PrinterDef | undefined {
  return PRINTERS.find((p) => p.name === name);
}

export interface Printed {
  contentType: string;
  /** Extension of the file name in Content-Disposition. */
  ext: string;
  body: string;
}

const MIME: Record<PrinterBase, string> = {
  json: 'application/json',
  raw: 'application/json',
  php: 'application/vnd.php.serialized',
  xml: 'text/xml',
  none: 'text/plain',
};
const EXT: Record<PrinterBase, string> = { json: 'json', raw: 'json', php: 'php', xml: 'xml', none: 'txt' };

/** Printer parameters after validation, or the defaults (MediaWiki's forceDefaultParams). */
export type PrinterParams = ParamValues;

/** The text of the result in this format (before any HTML wrapping). */
function text(p: PrinterDef, result: ResultArray, v: PrinterParams): string {
  const fv2 = v.formatversion === '2' || v.formatversion === 'latest';
  switch (p.base) {
    case 'json': {
      const data = fv2
        ? transform(result, { types: { assocAsObject: true }, strip: 'all' })
        : transform(result, { bc: [], types: { assocAsObject: true }, strip: 'all' });
      // fv1 escapes non-ASCII unless utf8; fv2 only with ascii. "<", ">" and "&" stay as they are.
      const utf8 = fv2 ? !v.ascii : !!v.utf8;
      const json = encodeJson(data, { utf8, escapeXmlMeta: false, pretty: p.html });
      return typeof v.callback === 'string' ? `/**/${v.callback.replace(/[^\][\w.'"]/g, '')}(${json})` : json;
    }
    case 'raw':
      return encodeJson(result, { utf8: true, escapeXmlMeta: false, pretty: p.html });
    case 'php':
      return serializePhp(fv2 ? transform(result, { types: {}, strip: 'all' }) : transform(result, { bc: [], types: {}, strip: 'all' }));
    case 'xml':
      return printXml(result, { pretty: p.html, includeNamespace: !!v.includexmlnamespace });
    case 'none':
      return '';
  }
}

export function print(p: PrinterDef, result: ResultArray, v: PrinterParams, status: number): Printed {
  const body = text(p, result, v);
  if (p.base === 'none') return { contentType: 'text/plain; charset=utf-8', ext: 'txt', body: '' };
  if (p.html) {
    if (v.wrappedhtml) {
      const wrapped = { status, statustext: status === 200 ? 'OK' : String(status), html: prettyBlock(body), modules: ['mediawiki.apipretty'], continue: null };
      return { contentType: 'application/json; charset=utf-8', ext: 'json', body: JSON.stringify(wrapped) };
    }
    return { contentType: 'text/html; charset=utf-8', ext: 'html', body: renderHtmlResult(body, p.base) };
  }
  if (p.base === 'json' && typeof v.callback === 'string') return { contentType: 'text/javascript; charset=utf-8', ext: 'js', body };
  return { contentType: `${MIME[p.base]}; charset=utf-8`, ext: EXT[p.base], body };
}
