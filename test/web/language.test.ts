// Accept-Language as the pages read it (the negotiator package): best first, by q, then by order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptedLanguages } from '../../src/web/context.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { PageClient } from './helpers.js';

test('acceptedLanguages: by q, ties in the order given; q=0, "*" and unreadable weights left out', () => {
  assert.deepEqual(acceptedLanguages('de-DE, ar-EG;q=0.8, en;q=0.5'), ['de-DE', 'ar-EG', 'en']);
  assert.deepEqual(acceptedLanguages('en;q=0.4, ar;q=0.9, fr;q=0.9'), ['ar', 'fr', 'en']);
  assert.deepEqual(acceptedLanguages('fr;q=0, *;q=0.5, en_US'), ['en_US']);
  assert.deepEqual(acceptedLanguages('fr;q=abc, fr-CA;q=-1, ar;q=0.1'), ['ar']);
  assert.deepEqual(acceptedLanguages('fr;q=1e-3, ar;q=0.5'), ['ar', 'fr']);
  assert.deepEqual(acceptedLanguages(''), []);
  assert.deepEqual(acceptedLanguages(undefined), []);
  assert.deepEqual(acceptedLanguages(' , ;q=1, "'), ['"']);
});

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(() => srv.close());

test('a page in the best language the header accepts, a weight written 1e-3 included', async () => {
  const langOf = (html: string) => /<html lang="([^"]+)" dir="([^"]+)"/.exec(html)!.slice(1).join(' ');
  const anon = new PageClient(srv.url);
  assert.equal(langOf((await anon.get('/wiki/Special:UserLogin', { 'accept-language': 'fr;q=1e-3, ar;q=0.5' })).html), 'ar rtl');
  assert.equal(langOf((await anon.get('/wiki/Special:UserLogin', { 'accept-language': 'xx;q=0.9, fr-CA;q=0.8, ar' })).html), 'ar rtl');
  assert.equal(langOf((await anon.get('/wiki/Special:UserLogin', { 'accept-language': 'xx;q=0.9, fr-CA;q=0.8, ar;q=0.1' })).html), 'fr ltr');
  assert.equal(langOf((await anon.get('/wiki/Special:UserLogin', { 'accept-language': '*' })).html), 'en ltr');
});
