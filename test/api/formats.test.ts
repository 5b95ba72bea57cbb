// The printers: xml, php, rawfm, none and the HTML forms, against recorded MediaWiki 1.39 outputs and
// read back by real consumers (PHP's unserialize, Python's XML parser); formatversion 1 booleans;
// printer parameters read at print time; refused main parameters echoing requestid and the rest.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Client, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { msg } from '../helpers/api.js';

let srv: TestServer;
let docref = '';
before(async () => {
  srv = await startTestServer();
  await addUser(srv.services, 'Alice', 'Secret-Pass-1', { email: 'alice@example.org' });
  docref = msg(srv, 'api-usage-docref', `${srv.services.config.server}/w/api.php`);
});
after(() => srv.close());

const required = process.env.MWAUTH_REQUIRE_CLIENTS === '1';
const phpOk = spawnSync('php', ['-v'], { stdio: 'ignore' }).status === 0;
const pythonOk = spawnSync('/usr/bin/python3', ['-c', 'import xml.etree.ElementTree'], { stdio: 'ignore' }).status === 0;
const skip = (ok: boolean, why: string) => (ok || required ? false : why);

/** PHP's unserialize() of the body, as JSON ({"$float": n} for floats, so integers and floats stay apart). */
function phpRead(body: string): unknown {
  const code = `
    function conv($v) {
      if (is_float($v)) return ['$float' => $v];
      if (is_array($v)) { $o = []; foreach ($v as $k => $x) $o[] = [$k, conv($x)]; return ['$array' => $o]; }
      return $v;
    }
    $v = unserialize(stream_get_contents(STDIN));
    if ($v === false) { fwrite(STDERR, "unserialize failed"); exit(1); }
    echo json_encode(conv($v), JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);`;
  const r = spawnSync('php', ['-r', code], { input: body, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Python's ElementTree: the document parses, and its elements come back as [tag, attributes, text, children]. */
function xmlRead(body: string): unknown {
  const code = `
import sys, json, xml.etree.ElementTree as ET
def conv(e): return [e.tag, dict(e.attrib), e.text, [conv(c) for c in e]]
print(json.dumps(conv(ET.fromstring(sys.stdin.buffer.read())), ensure_ascii=False))`;
  const r = spawnSync('/usr/bin/python3', ['-c', code], { input: body, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('format=php: the bytes MediaWiki prints, and PHP reads them back with their types', { skip: skip(phpOk, 'php-cli is not installed') }, async () => {
  const c = new Client(srv.api);
  const t1 = await c.request('GET', { action: 'query', meta: 'tokens', format: 'php' });
  assert.equal(t1.headers.get('content-type'), 'application/vnd.php.serialized; charset=utf-8');
  assert.equal(t1.headers.get('content-disposition'), 'inline; filename=api-result.php');
  // Recorded from MediaWiki 1.39 (formatversion 1: "batchcomplete" is "").
  assert.equal(t1.text, 'a:2:{s:13:"batchcomplete";s:0:"";s:5:"query";a:1:{s:6:"tokens";a:1:{s:9:"csrftoken";s:2:"+\\";}}}');
  const t2 = await c.request('GET', { action: 'query', meta: 'tokens', format: 'php', formatversion: '2' });
  assert.equal(t2.text, 'a:2:{s:13:"batchcomplete";b:1;s:5:"query";a:1:{s:6:"tokens";a:1:{s:9:"csrftoken";s:2:"+\\";}}}');
  // Floats stay floats (q=1 is d:1, not i:1), lists have integer keys.
  const al = await c.request('GET', { action: 'query', meta: 'userinfo', uiprop: 'acceptlang', format: 'php' }, undefined, { 'accept-language': 'fr-CH, fr;q=0.9, *;q=0.5' });
  assert.equal(
    al.text,
    'a:2:{s:13:"batchcomplete";s:0:"";s:5:"query";a:1:{s:8:"userinfo";a:4:{s:2:"id";i:0;s:4:"name";s:9:"127.0.0.1";s:4:"anon";s:0:"";' +
      's:10:"acceptlang";a:3:{i:0;a:2:{s:1:"q";d:1;s:1:"*";s:5:"fr-ch";}i:1;a:2:{s:1:"q";d:0.9;s:1:"*";s:2:"fr";}i:2;a:2:{s:1:"q";d:0.5;s:1:"*";s:1:"*";}}}}}',
  );
  assert.deepEqual((phpRead(al.text) as any).$array[1][1].$array[0][1].$array[3][1].$array[1][1].$array, [['q', { $float: 0.9 }], ['*', 'fr']]);
  // String lengths are UTF-8 bytes: Arabic text and text outside the BMP read back whole.
  const ar = await c.request('GET', { action: 'nosuch', format: 'php', errorformat: 'plaintext', uselang: 'ar', requestid: 'طلب 🙂' });
  const read = phpRead(ar.text) as any;
  const top = Object.fromEntries(read.$array.map(([k, v]: [string, unknown]) => [k, v]));
  assert.equal(top.requestid, 'طلب 🙂');
  const error = Object.fromEntries(top.errors.$array[0][1].$array);
  assert.equal(error.code, 'badvalue');
  // formatversion 1 moves the text to "*"; uselang=ar makes it Arabic.
  assert.equal(error['*'], srv.services.i18n.text('ar', 'paramvalidator-badvalue-enumnotmulti', { plaintext: 'action' }, { plaintext: 'nosuch' }));
  assert.match(error['*'], /[\u0600-\u06ff]/);
  // Preferences that are true or false stay booleans (b:1;/b:0;) in formatversion 1, as they are data.
  const opts = await c.request('GET', { action: 'query', meta: 'userinfo', uiprop: 'options', format: 'php' });
  assert.match(opts.text, /s:21:"search-match-redirect";b:1;/);
  assert.match(opts.text, /s:4:"anon";s:0:"";/, 'a flag is "" in formatversion 1');
});

test('format=xml: MediaWiki\'s layout, byte for byte, and a document an XML parser reads', { skip: skip(pythonOk, '/usr/bin/python3 is not installed') }, async () => {
  const c = new Client(srv.api);
  const t = await c.request('GET', { action: 'query', meta: 'tokens', type: 'csrf|bogus', format: 'xml' });
  assert.equal(t.headers.get('content-type'), 'text/xml; charset=utf-8');
  assert.equal(t.headers.get('content-disposition'), 'inline; filename=api-result.xml');
  const warning = msg(srv, 'paramvalidator-unrecognizedvalues', 'type', 'csrf|bogus', 'bogus', 1);
  // Recorded from MediaWiki 1.39, with our warning text.
  assert.equal(t.text, `<?xml version="1.0"?><api batchcomplete=""><warnings><tokens xml:space="preserve">${warning}</tokens></warnings><query><tokens csrftoken="+\\" /></query></api>`);
  const raw = await c.request('GET', { action: 'query', meta: 'tokens', type: 'csrf|bogus', format: 'xml', errorformat: 'raw' });
  assert.equal(
    raw.text,
    '<?xml version="1.0"?><api batchcomplete=""><warnings><warning code="unrecognizedvalues" key="paramvalidator-unrecognizedvalues" module="query+tokens">' +
      '<params><param plaintext="type" /><param plaintext="csrf|bogus" /><param type="comma"><list><_v plaintext="bogus" /></list></param><param num="1" /></params>' +
      '<data><values><_v>bogus</_v></values></data></warning></warnings><query><tokens csrftoken="+\\" /></query></api>',
  );
  // Namespaces: <ns> with _idx (a keyed list), the name as text, flags as "" attributes.
  const ns = await c.request('GET', { action: 'query', meta: 'siteinfo', siprop: 'namespaces|namespacealiases', format: 'xml' });
  assert.ok(ns.text.startsWith('<?xml version="1.0"?><api batchcomplete=""><query><namespaces><ns _idx="-2" id="-2" case="first-letter" canonical="Media" xml:space="preserve">Media</ns>'));
  assert.ok(ns.text.includes('<ns _idx="0" id="0" case="first-letter" content="" xml:space="preserve" />'));
  assert.ok(ns.text.includes('<ns _idx="8" id="8" case="first-letter" subpages="" canonical="MediaWiki" namespaceprotection="editinterface" xml:space="preserve">MediaWiki</ns>'));
  assert.ok(ns.text.endsWith('<namespacealiases><ns id="6" xml:space="preserve">Image</ns><ns id="7" xml:space="preserve">Image talk</ns></namespacealiases></query></api>'));
  // Lists with MediaWiki's tag names; acceptlang's floats as PHP prints them.
  const ui = await c.request('GET', { action: 'query', meta: 'userinfo', uiprop: 'groups|acceptlang', format: 'xml' }, undefined, { 'accept-language': 'fr;q=0.9, en' });
  assert.equal(ui.text, '<?xml version="1.0"?><api batchcomplete=""><query><userinfo id="0" name="127.0.0.1" anon=""><groups><g>*</g></groups><acceptlang><lang q="1" xml:space="preserve">en</lang><lang q="0.9" xml:space="preserve">fr</lang></acceptlang></userinfo></query></api>');
  // A bc error: the docref is the element's text.
  const err = await c.request('GET', { action: 'nosuch', format: 'xml' });
  const info = msg(srv, 'paramvalidator-badvalue-enumnotmulti', 'action', 'nosuch');
  const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#039;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const text = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  assert.equal(err.text, `<?xml version="1.0"?><api><error code="badvalue" info="${attr(info)}" xml:space="preserve">${text(docref)}</error></api>`);

  // Whatever the text, the document stays well-formed: quotes, markup, line breaks, control characters, Arabic.
  const nasty = 'a"b\'c<d>&e\nf\tg\x01h طلب 🙂';
  for (const [ef, lang] of [['bc', 'en'], ['plaintext', 'ar'], ['raw', 'fr'], ['html', 'en']]) {
    const r = await c.request('GET', { action: 'query', meta: 'tokens', type: `csrf|${nasty}`, requestid: nasty, errorformat: ef!, uselang: lang!, format: 'xml' });
    const doc = xmlRead(r.text) as [string, Record<string, string>, string | null, unknown[]];
    assert.equal(doc[0], 'api');
    // The control character is replaced (U+FFFD), the rest comes back as sent.
    assert.equal(doc[1].requestid, nasty.replace('\x01', '\ufffd'));
  }
  // Tokens are attribute values: the backslash of "+\" is no escape in XML.
  const tok = xmlRead((await c.request('GET', { action: 'query', meta: 'tokens', type: 'csrf|login', format: 'xml' })).text) as any;
  assert.equal(tok[3][0][3][0][1].csrftoken, '+\\');
  assert.match(tok[3][0][3][0][1].logintoken, /^[0-9a-f]{40}\+\\$/);
});

test('formatversion 1 keeps booleans that are data (preferences, variantarticlepath) and turns flags into ""', async () => {
  const c = new Client(srv.api);
  const ui = await c.get({ action: 'query', meta: 'userinfo', uiprop: 'options' });
  assert.equal(ui.json.query.userinfo.anon, '');
  assert.equal(ui.json.query.userinfo.options['search-match-redirect'], true, 'a true preference prints true, not ""');
  assert.ok(ui.text.includes('"search-match-redirect":true'));
  const alice = new Client(srv.api);
  assert.equal((await alice.login('Alice', 'Secret-Pass-1')).result, 'Success');
  const a = await alice.get({ action: 'query', meta: 'userinfo', uiprop: 'options|hasmsg' });
  assert.equal(a.json.query.userinfo.options['search-match-redirect'], true);
  assert.equal(a.json.query.userinfo.messages, undefined, 'a false flag is left out');
  const defaults = await c.get({ action: 'query', meta: 'siteinfo', siprop: 'defaultoptions|general' });
  assert.equal(defaults.json.query.defaultoptions['search-match-redirect'], true);
  assert.equal(defaults.json.query.general.variantarticlepath, false);
  assert.equal(defaults.json.query.general.readonly, undefined, 'a false flag is left out');
  assert.equal(defaults.json.query.general.writeapi, '');
  // XML prints a true boolean as an empty attribute, a false one not at all, as MediaWiki does.
  const x = await alice.request('GET', { action: 'query', meta: 'userinfo', uiprop: 'options|hasmsg', format: 'xml' });
  assert.ok(/ search-match-redirect="" /.test(x.text));
  assert.ok(!/ messages=/.test(x.text));
  assert.ok(/ gender="unknown"/.test(x.text));
});

test('rawfm shows the result with its metadata; xmlfm, phpfm and jsonfm wrap the same text; none is empty', async () => {
  const c = new Client(srv.api);
  const pre = (html: string) => /<pre class="api-pretty-content">([\s\S]*)<\/pre>/.exec(html)![1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const raw = await c.request('GET', { action: 'query', meta: 'userinfo', uiprop: 'groups', format: 'rawfm' });
  assert.equal(raw.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.deepEqual(JSON.parse(pre(raw.text)), {
    batchcomplete: true,
    query: { userinfo: { id: 0, name: '127.0.0.1', anon: true, groups: { 0: '*', _type: 'array', _element: 'g' } } },
    _type: 'assoc',
  });
  const xml = await c.request('GET', { action: 'query', meta: 'tokens', format: 'xml' });
  const xmlfm = await c.request('GET', { action: 'query', meta: 'tokens', format: 'xmlfm' });
  // The pretty form is the same document, indented (MediaWiki's recXmlPrint with indentation).
  assert.equal(pre(xmlfm.text), '<?xml version="1.0"?>\n<api batchcomplete="">\n  <query>\n    <tokens csrftoken="+\\" />\n  </query>\n</api>');
  assert.equal(pre(xmlfm.text).replace(/\n */g, ''), xml.text);
  const php = await c.request('GET', { action: 'query', meta: 'tokens', format: 'php' });
  assert.equal(pre((await c.request('GET', { action: 'query', meta: 'tokens', format: 'phpfm' })).text), php.text);
  const none = await c.request('GET', { action: 'query', meta: 'tokens', format: 'none' });
  assert.equal(none.text, '');
  assert.equal(none.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(none.headers.get('content-disposition'), 'inline; filename=api-result.txt');
  const wrapped = await c.request('GET', { action: 'query', meta: 'tokens', format: 'jsonfm', wrappedhtml: '1' });
  assert.equal(wrapped.json.status, 200);
  assert.equal(pre(wrapped.json.html), '{\n    "batchcomplete": "",\n    "query": {\n        "tokens": {\n            "csrftoken": "+\\\\"\n        }\n    }\n}');
});

test('printer parameters: formatversion=9 after the module ran becomes the error, printed with the defaults and MediaWiki\'s two warnings', async () => {
  const c = new Client(srv.api);
  const bad = msg(srv, 'paramvalidator-badvalue-enumnotmulti', 'formatversion', '9');
  const failed = msg(srv, 'apiwarn-errorprinterfailed');
  const r = await c.request('GET', { action: 'query', meta: 'tokens', format: 'json', formatversion: '9', requestid: 'r1' });
  assert.equal(r.headers.get('mediawiki-api-error'), 'badvalue');
  assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
  // Recorded order: warnings (json on top of main), the error, then the echoes (formatversion 1: docref as "*").
  assert.equal(r.text, JSON.stringify({ warnings: { json: { '*': bad }, main: { '*': failed } }, error: { code: 'badvalue', info: bad, '*': docref }, requestid: 'r1' }));
  // Warnings from before the failure stay below the error; the callback is dropped with the other parameters.
  const cb = await c.request('GET', { action: 'query', meta: 'tokens', format: 'json', formatversion: '9', callback: 'cb' });
  assert.deepEqual(Object.keys(cb.json), ['error', 'warnings']);
  assert.deepEqual(Object.keys(cb.json.warnings), ['json', 'main', 'tokens']);
  // An error already there stays the error; errorformat=raw shows the printer as the warning's module.
  const raw = await c.request('GET', { action: 'nosuch', format: 'php', formatversion: 'x', errorformat: 'raw' });
  assert.match(raw.text, /^a:3:\{s:8:"warnings";a:2:\{i:0;a:4:\{s:4:"code";s:18:"errorprinterfailed";/);
  assert.match(raw.text, /s:6:"module";s:3:"php";\}\}s:6:"errors";a:1:\{i:0;a:4:\{s:4:"code";s:8:"badvalue";s:3:"key";s:36:"paramvalidator-badvalue-enumnotmulti";/);
  // XML has no formatversion: it is an unrecognized parameter there. xslt only warns; the namespace is an attribute.
  const x = await c.request('GET', { action: 'query', meta: 'tokens', format: 'xml', formatversion: '2', xslt: 'MediaWiki:Api.xsl', includexmlnamespace: '1' });
  assert.equal(
    x.text,
    `<?xml version="1.0"?><api batchcomplete="" xmlns="http://www.mediawiki.org/xml/api/"><warnings><xml xml:space="preserve">${msg(srv, 'apiwarn-xslt-disabled')}</xml>` +
      `<main xml:space="preserve">${msg(srv, 'apierror-unrecognizedparams', { list: { 4: 'formatversion' }, type: 'comma' }, 1)}</main></warnings><query><tokens csrftoken="+\\" /></query></api>`,
  );
});

test('a refused main parameter keeps requestid, curtimestamp, uselang and errorlang, in every format', async () => {
  const c = new Client(srv.api);
  const echo = { requestid: 'r-7', curtimestamp: '1', responselanginfo: '1' };
  const refused: Array<Record<string, string>> = [{ action: 'nosuch' }, { action: 'query', assert: 'bogus' }, { action: 'query', maxlag: 'abc' }, { action: 'query', errorformat: 'bogus' }];
  for (const q of refused) {
    const j = await c.get({ ...q, ...echo, formatversion: '2' });
    assert.ok(j.headers.get('mediawiki-api-error'), JSON.stringify(q));
    assert.deepEqual(Object.keys(j.json), ['error', 'requestid', 'curtimestamp', 'uselang', 'errorlang'], JSON.stringify(q));
    assert.equal(j.json.requestid, 'r-7');
    assert.match(j.json.curtimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const x = await c.request('GET', { ...q, ...echo, format: 'xml' });
    assert.match(x.text, /^<\?xml version="1\.0"\?><api requestid="r-7" curtimestamp="[^"]+" uselang="en" errorlang="en"><error /);
    const p = await c.request('GET', { ...q, ...echo, format: 'php' });
    assert.match(p.text, /s:9:"requestid";s:3:"r-7";s:12:"curtimestamp";s:20:"[^"]+";s:7:"uselang";s:2:"en";s:9:"errorlang";s:2:"en";\}$/);
  }
  // Non-bc formats: the docref, then the echoes; the language codes as asked for.
  const fr = await c.get({ action: 'nosuch', ...echo, uselang: 'fr', errorformat: 'plaintext', formatversion: '2' });
  assert.deepEqual(Object.keys(fr.json), ['errors', 'docref', 'requestid', 'curtimestamp', 'uselang', 'errorlang']);
  assert.deepEqual([fr.json.uselang, fr.json.errorlang], ['fr', 'fr']);
  const odd = await c.get({ action: 'nosuch', ...echo, uselang: 'xx-bogus', errorlang: 'zz', errorformat: 'plaintext', formatversion: '2' });
  assert.deepEqual([odd.json.uselang, odd.json.errorlang], ['xx-bogus', 'zz']);
  // A refused format is printed by jsonfm, the echoes included.
  const fm = await c.request('GET', { action: 'query', format: 'bogus', ...echo });
  assert.equal(fm.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.ok(fm.text.includes('&quot;requestid&quot;') || fm.text.includes('"requestid": "r-7"'));
});
