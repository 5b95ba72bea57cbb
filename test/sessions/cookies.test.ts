// Reading the Cookie header as PHP (so MediaWiki) reads it: the first cookie of each name, percent-decoded,
// a quoted value kept with its quotes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCookies } from '../../src/sessions/cookies.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';

test('parseCookies: first of each name, decoded when valid, nothing inherited, quotes kept', () => {
  const c = parseCookies(' a = 1 ; a=2; b=%41%20b; bad=%E0%A4%A; __proto__=x; toString=y; q="z"; noval; =e; c=d=e');
  // Nothing inherited answers for a name the client did not send.
  for (const m of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__']) assert.equal(parseCookies('a=1')[m], undefined, m);
  assert.deepEqual(Object.entries(c), [['a', '1'], ['b', 'A b'], ['bad', '%E0%A4%A'], ['__proto__', 'x'], ['toString', 'y'], ['q', '"z"'], ['', 'e'], ['c', 'd=e']]);
  assert.deepEqual(Object.entries(parseCookies(undefined)), []);
  assert.deepEqual(Object.entries(parseCookies('')), []);
});

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(() => srv.close());

test('a quoted session cookie is not the session, as in MediaWiki', async () => {
  const url = `${srv.api}?action=query&meta=tokens&type=login&format=json`;
  const first = await fetch(url);
  const cookie = first.headers.getSetCookie().find((l) => l.includes('_session='))!.split(';')[0]!;
  const token = (await first.json()).query.tokens.logintoken;
  const [name, value] = cookie.split('=') as [string, string];
  const again = await fetch(url, { headers: { cookie } });
  assert.equal((await again.json()).query.tokens.logintoken, token, 'the same session');
  const quoted = await fetch(url, { headers: { cookie: `${name}="${value}"` } });
  assert.notEqual((await quoted.json()).query.tokens.logintoken, token, 'another session');
});
