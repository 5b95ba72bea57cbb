// format=jsonfm: the JSON result in a readable HTML page.
function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderHtmlResult(json: string): string {
  return (
    '<!DOCTYPE html>\n<html lang="en" dir="ltr">\n<head>\n<meta charset="UTF-8">\n<title>API result</title>\n' +
    '<meta name="robots" content="noindex,nofollow">\n' +
    '<style>body{font-family:sans-serif;margin:1em}pre{white-space:pre-wrap;word-break:break-all;background:#f8f9fa;border:1px solid #c8ccd1;padding:1em}</style>\n' +
    '</head>\n<body>\n<p>This is the HTML form of the API result. Ask for <code>format=json</code> to get JSON. ' +
    'See <code>action=help</code> for the documentation.</p>\n<pre>' +
    escapeHtml(json) +
    '</pre>\n</body>\n</html>\n'
  );
}
