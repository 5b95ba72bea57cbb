// The two HTML escapes every HTML the server writes goes through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, escapeText } from '../../src/util/html.js';
import { textBlock, html } from '../../src/web/html.js';
import { textToHtml } from '../../src/mail/compose.js';
import { prettyBlock } from '../../src/api/formats/html.js';

const NASTY = `<a href="x" onclick='y'>&amp; Tom & Jerry</a>`;

test('escapeHtml: safe in an element and in a quoted attribute', () => {
  assert.equal(escapeHtml(NASTY), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp; Tom &amp; Jerry&lt;/a&gt;');
  assert.equal(escapeHtml('plain text, ünïcode, عربي'), 'plain text, ünïcode, عربي');
  assert.equal(escapeHtml(''), '');
});

test('escapeText: safe as an element\'s content; quotes stay readable', () => {
  assert.equal(escapeText(NASTY), `&lt;a href="x" onclick='y'&gt;&amp;amp; Tom &amp; Jerry&lt;/a&gt;`);
});

test('pages, mail and the printers\' HTML forms escape with them', () => {
  assert.equal(html`<p title="${NASTY}">${NASTY}</p>`.value, `<p title="${escapeHtml(NASTY)}">${escapeHtml(NASTY)}</p>`);
  assert.equal(textBlock(`${NASTY}\n2`).value, `${escapeHtml(NASTY)}<br>2`);
  assert.ok(textToHtml(NASTY, 'en', 'ltr').includes(`<div dir="ltr">${escapeHtml(NASTY)}</div>`));
  assert.equal(prettyBlock('{"a": "<b>&"}'), '<pre class="api-pretty-content">{"a": "&lt;b&gt;&amp;"}</pre>');
});
