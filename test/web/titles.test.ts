// Titles, form fields and cookies are the visitor's text: names of Object.prototype members
// ("__proto__", "toString", "constructor", …) are no page, no field and no cookie of ours.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { PageClient } from './helpers.js';

const MEMBERS = ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__', 'propertyIsEnumerable', 'toLocaleString'];

describe('prototype members as titles, fields and cookies', () => {
  let srv: TestServer;
  const internal: string[] = [];
  before(async () => {
    srv = await startTestServer();
    const logger = srv.services.logger as { error(o: object, m: string): void };
    logger.error = (o, m) => void internal.push(`${m} ${JSON.stringify(o)}`);
    await addUser(srv.services, 'Alice', 'Secret-Pass-1');
  });
  after(() => srv.close());

  test('every such title is the 404 page, under the article path and by index.php?title=', async () => {
    const c = new PageClient(srv.url);
    const notFound = srv.services.i18n.text('en', 'web-notfound-title');
    for (const title of [...MEMBERS, ...MEMBERS.map((m) => `Special:${m}`)]) {
      for (const path of [`/wiki/${encodeURIComponent(title)}`, `/w/index.php?title=${encodeURIComponent(title)}`]) {
        const r = await c.get(path);
        assert.equal(r.status, 404, `${path}: ${r.html.slice(0, 200)}`);
        assert.ok(r.html.includes(`<h1>${notFound}</h1>`), path);
      }
      const posted = await c.request('POST', '/w/index.php', { title, wpName: 'Alice' });
      assert.equal(posted.status, 404, `POST title=${title}`);
    }
    assert.deepEqual(internal, []);
  });

  test('such names as form fields, query parameters and cookies change nothing', async () => {
    internal.length = 0;
    const c = new PageClient(srv.url);
    const fields = Object.fromEntries(MEMBERS.map((m) => [m, 'x']));
    const cookie = MEMBERS.map((m) => `${m}=1`).join('; ');
    const page = await c.get(`/wiki/Special:UserLogin?${new URLSearchParams(fields)}`, { cookie });
    assert.equal(page.status, 200);
    const login = await c.submit('/wiki/Special:UserLogin', { ...fields, wpName: 'Alice', wpPassword: 'Secret-Pass-1' });
    assert.equal(login.status, 303, 'the login still goes through');
    assert.equal((await c.get('/wiki/Main_Page', { cookie: `${cookie}; ${[...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ')}` })).status, 200);
    assert.deepEqual(internal, []);
  });
});
