// The HTML forms of the printers (jsonfm, xmlfm, phpfm, rawfm): the printed result in a readable
// page, inside <pre class="api-pretty-content"> as MediaWiki puts it.
import { escapeText } from '../../util/html.js';

const LABELS: Record<string, string> = { json: 'JSON', xml: 'XML', php: 'serialized PHP', raw: 'raw JSON (with the result metadata)' };

/** The <pre> element holding the printed result (also the "html" of wrappedhtml). */
export function prettyBlock(text: string): string {
  return `<pre class="api-pretty-content">${escapeText(text)}</pre>`;
}

/** `base` is the non-HTML format's name: json, xml, php or raw. */
export function renderHtmlResult(text: string, base = 'json'): string {
  const label = LABELS[base] ?? base;
  const plain = base === 'raw' ? 'json' : base;
  return (
    '<!DOCTYPE html>\n<html lang="en" dir="ltr">\n<head>\n<meta charset="UTF-8">\n<title>API result</title>\n' +
    '<meta name="robots" content="noindex,nofollow">\n' +
    '<style>body{font-family:sans-serif;margin:1em}pre{white-space:pre-wrap;word-break:break-all;background:#f8f9fa;border:1px solid #c8ccd1;padding:1em}</style>\n' +
    `</head>\n<body>\n<p>This is the ${escapeText(label)} result in a readable HTML page, for people and debugging; programs should ask for ` +
    `<code>format=${plain}</code>. See <code>action=help</code> for the documentation.</p>\n` +
    prettyBlock(text) +
    '\n</body>\n</html>\n'
  );
}
