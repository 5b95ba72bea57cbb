// New account names: no invisible or bidirectional control characters, and none confusable with an
// existing name (UTS #39 skeletons, stored per account and filled by a migration for existing ones). The
// API, the page and `mwauth user add` refuse alike; existing names keep logging in.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { skeleton, skeletonKey } from '../../src/accounts/confusables.js';
import { isCreatableName } from '../../src/accounts/names.js';
import { SqlUserStore } from '../../src/storage/sql/users.js';
import { migrate } from '../../src/storage/db.js';
import { migrationProvider } from '../../src/storage/migrations.js';
import { ManualClock } from '../helpers/clock.js';
import { cryptoRandom } from '../../src/util/clock.js';
import { addUser, Client, startTestServer, type TestServer } from '../helpers/harness.js';
import { msg } from '../helpers/api.js';
import { runCli } from '../helpers/process.js';
import { createPostgresDatabase, mariadbDatabase, postgresDatabase, skipUnless } from '../helpers/services.js';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services.js';
import { PageClient } from '../web/helpers.js';

type Ctx = { after(fn: () => Promise<void> | void): void };
const PASSWORD = 'Fresh-Pass-98765';

/** Invisible and bidirectional characters, one of each class, and where they come from. */
const INVISIBLE: Array<[string, string]> = [
  ['U+200B zero width space', '\u200b'], ['U+200C zero width non-joiner', '\u200c'], ['U+200D zero width joiner', '\u200d'],
  ['U+200E left-to-right mark', '\u200e'], ['U+200F right-to-left mark', '\u200f'],
  ['U+202A left-to-right embedding', '\u202a'], ['U+202B right-to-left embedding', '\u202b'], ['U+202C pop directional formatting', '\u202c'],
  ['U+202D left-to-right override', '\u202d'], ['U+202E right-to-left override', '\u202e'],
  ['U+2060 word joiner', '\u2060'], ['U+2061 function application', '\u2061'], ['U+2062 invisible times', '\u2062'], ['U+2063 invisible separator', '\u2063'], ['U+2064 invisible plus', '\u2064'],
  ['U+2066 left-to-right isolate', '\u2066'], ['U+2067 right-to-left isolate', '\u2067'], ['U+2068 first strong isolate', '\u2068'], ['U+2069 pop directional isolate', '\u2069'],
  ['U+00AD soft hyphen', '\u00ad'], ['U+061C Arabic letter mark', '\u061c'], ['U+FE0F variation selector-16', '\ufe0f'], ['U+FE00 variation selector-1', '\ufe00'],
  ['U+E0041 tag latin capital letter A', '\u{e0041}'], ['U+E0001 language tag', '\u{e0001}'], ['U+E007F cancel tag', '\u{e007f}'],
  ['U+FEFF zero width no-break space', '\ufeff'], ['U+034F combining grapheme joiner', '\u034f'], ['U+115F Hangul choseong filler', '\u115f'],
  ['U+3164 Hangul filler', '\u3164'], ['U+17B4 Khmer vowel inherent aq', '\u17b4'], ['U+180E Mongolian vowel separator', '\u180e'], ['U+E000 private use', '\ue000'],
];

async function server(t: Ctx): Promise<TestServer> {
  const srv = await startTestServer();
  t.after(() => srv.close());
  return srv;
}

async function apiCreate(srv: TestServer, username: string) {
  const c = new Client(srv.api);
  const createtoken = await c.token('createaccount');
  return (await c.post({ action: 'createaccount', username, password: PASSWORD, retype: PASSWORD, createreturnurl: 'http://wiki.test/', createtoken, formatversion: '2' })).json.createaccount;
}

async function pageCreate(srv: TestServer, username: string) {
  return new PageClient(srv.url).submit('/wiki/Special:CreateAccount', { wpName: username, wpPassword: PASSWORD, wpRetype: PASSWORD, wpEmail: '' });
}

const cliEnv = (srv: TestServer) => ({ MWAUTH_DATA_DIR: srv.dataDir });

describe('invisible characters in new names', () => {
  test('each class is refused (noname) by the API, the page and `mwauth user add`, inside a name and at its ends', async (t) => {
    const srv = await server(t);
    const noname = msg(srv, 'noname');
    for (const [what, ch] of INVISIBLE) {
      // At the ends, characters that trimming removes (U+FEFF) leave a clean name: not refused, not kept.
      for (const name of [`Ma${ch}llory`, ...(ch.trim() === '' ? [] : [`Mallory${ch}`, `${ch}Mallory`])]) {
        assert.equal(isCreatableName(name), false, what);
        const r = await apiCreate(srv, name);
        assert.deepEqual([r.status, r.messagecode], ['FAIL', 'invaliduser'], `${what}: ${JSON.stringify(r)}`);
      }
      const page = await pageCreate(srv, `Ma${ch}llory`);
      assert.equal(page.status, 200, what);
      assert.ok(page.html.includes(noname), `${what}: the page says why`);
    }
    for (const [what, ch] of INVISIBLE.slice(0, 6)) {
      const r = await runCli(['user', 'add', `Ma${ch}llory`, '--password', PASSWORD], cliEnv(srv));
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
    }
    assert.equal(await srv.services.users.count(), 0, 'no account was made');
    // The same name without them is fine.
    assert.equal((await apiCreate(srv, 'Mallory')).status, 'PASS');
  });
});

describe('names confusable with existing ones', () => {
  test('"Аlice" with a Cyrillic А is refused when "Alice" exists: antispoof-conflict-top, by the API, the page and the CLI', async (t) => {
    const srv = await server(t);
    await addUser(srv.services, 'Alice', 'Alice-Pass-123');
    const cyrillic = '\u0410lice';
    assert.equal(skeleton(cyrillic), skeleton('Alice'));
    const r = await apiCreate(srv, cyrillic);
    assert.deepEqual(r, { status: 'FAIL', message: msg(srv, 'antispoof-conflict-top', cyrillic, 1), messagecode: 'antispoof-conflict-top', canpreservestate: false });
    const page = await pageCreate(srv, cyrillic);
    assert.ok(page.html.includes(msg(srv, 'antispoof-conflict-top', cyrillic, 1).replace(/"/g, '&quot;')), 'the page says why, by the name field');
    const cli = await runCli(['user', 'add', cyrillic, '--password', PASSWORD], cliEnv(srv));
    assert.equal(cli.code, 1, cli.stderr);
    assert.match(cli.stderr, /looks too much like/);
    // In French and Arabic too, with uselang.
    const c = new Client(srv.api);
    const createtoken = await c.token('createaccount');
    for (const lang of ['fr', 'ar']) {
      const l = await c.post({ action: 'createaccount', username: cyrillic, password: PASSWORD, createreturnurl: 'http://wiki.test/', createtoken, uselang: lang, formatversion: '2' });
      assert.equal(l.json.createaccount.message, srv.services.i18n.text(lang, 'antispoof-conflict-top', cyrillic, 1));
    }
    assert.equal(await srv.services.users.count(), 1);
  });

  test('mixed-script and same-script look-alikes are refused; names that only resemble are not', async (t) => {
    const srv = await server(t);
    for (const n of ['Paypal', 'Bob', 'Hello', 'Alice', 'Admin']) await addUser(srv.services, n, 'Some-Pass-1234');
    const refused: Array<[string, string]> = [
      ['P\u0430yp\u0430l', 'Cyrillic а in a Latin name'],
      ['\u0412\u043eb', 'Cyrillic В and о'],
      ['\u0397ello', 'Greek capital Eta'],
      ['AIice', 'Latin capital I for l'],
      ['A1ice', 'digit one for l'],
      ['Adrnin', 'r and n for m'],
      ['\uff21lice', 'fullwidth A (canonical: NFC keeps it)'],
      ['Al\u0456ce', 'Cyrillic і'],
    ];
    for (const [name, what] of refused) {
      const r = await apiCreate(srv, name);
      assert.equal(r.messagecode, 'antispoof-conflict-top', `${what}: ${JSON.stringify(r)}`);
    }
    for (const name of ['Alicia', 'Émile', 'Иван Smith', 'Bobby', 'PayPal Fan']) {
      assert.equal((await apiCreate(srv, name)).status, 'PASS', name);
    }
    // Two existing names that look alike count both.
    await srv.services.users.create({ name: 'B\u043eb', passwordHash: await srv.services.hasher.hash('x') });
    const r = await apiCreate(srv, '\u0412ob');
    assert.equal(r.message, msg(srv, 'antispoof-conflict-top', '\u0412ob', 2));
  });

  test('existing names are never refused at login: an imported name with an invisible character, and two look-alikes', async (t) => {
    const srv = await server(t);
    await addUser(srv.services, 'Alice', 'Alice-Pass-123');
    await srv.services.users.create({ name: '\u0410lice', passwordHash: await srv.services.hasher.hash('Cyr-Pass-1234') });
    await srv.services.users.create({ name: 'Jo\u2060hn', passwordHash: await srv.services.hasher.hash('John-Pass-1234') });
    assert.equal((await new Client(srv.api).login('Alice', 'Alice-Pass-123')).result, 'Success');
    assert.equal((await new Client(srv.api).login('\u0410lice', 'Cyr-Pass-1234')).result, 'Success');
    assert.equal((await new Client(srv.api).login('Jo\u2060hn', 'John-Pass-1234')).result, 'Success');
    assert.equal((await new Client(srv.api).login('\u0410lice', 'Alice-Pass-123')).result, 'Failed', 'each keeps its own password');
  });
});

const pgSkip = await skipUnless('postgres');
describe('the skeleton column', () => {
  for (const [backend, skip] of [['SQLite', false], ['PostgreSQL', pgSkip]] as const) {
    test(`the migration fills it for accounts that existed before (${backend}), a batch at a time`, { skip }, async (t) => {
      let db: Kysely<any>;
      if (backend === 'SQLite') {
        const dir = mkdtempSync(join(tmpdir(), 'mwauth-skel-'));
        t.after(() => rmSync(dir, { recursive: true, force: true }));
        const { default: SQLite } = await import('better-sqlite3');
        db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(join(dir, 'db.sqlite')) }) });
      } else {
        const pgdb = await createPostgresDatabase();
        const pg = await import('pg');
        db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.default.Pool({ connectionString: pgdb.url, max: 2 }) }) });
        t.after(async () => {
          await db.destroy();
          await pgdb.drop();
        });
      }
      if (backend === 'SQLite') t.after(() => db.destroy());
      // The schema as it was before, with 2,500 accounts (more than one batch), two of them look-alikes.
      const before = new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true });
      const { error } = await before.migrateTo('0011_reset_attempts');
      assert.equal(error, undefined);
      const names = ['Alice', '\u0410lice', ...Array.from({ length: 2498 }, (_, i) => `Old user ${i}`)];
      for (let i = 0; i < names.length; i += 500) {
        await db.insertInto('user').values(names.slice(i, i + 500).map((n) => ({ user_name: n, user_token: 'x'.repeat(32), user_registration: 0 }))).execute();
      }
      await migrate(db);
      const rows = await db.selectFrom('user').select(['user_name', 'user_name_skeleton']).execute();
      assert.equal(rows.length, 2500);
      for (const r of rows) assert.equal(r.user_name_skeleton, skeletonKey(r.user_name), r.user_name);
      const users = new SqlUserStore(db, new ManualClock(0), cryptoRandom);
      assert.deepEqual(await users.confusableWith('AIice'), ['Alice', '\u0410lice']);
      assert.deepEqual(await users.confusableWith('Old user 7'), ['Old user 7']);
    });
  }
});

// Look-alike names created at the same moment through two nodes' own connections: before the look-alike
// group was locked, each creator checked for the others before any existed, and several were made.
const RACE_BACKENDS = [
  ['SQLite', async (_t: Ctx) => null as string | null, false],
  ['PostgreSQL', (t: Ctx) => postgresDatabase(t, 'mwauth_lookalike'), await skipUnless('postgres')],
  ['MariaDB', (t: Ctx) => mariadbDatabase(t, 'mwauth_lookalike'), await skipUnless('mariadb')],
] as const;
for (const [backend, database, skip] of RACE_BACKENDS) {
  test(`look-alike names created at once on two nodes: exactly one of each group is made (${backend})`, { skip }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'mwauth-lookalike-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const url = await database(t);
    const env = { MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_SECRET: 's'.repeat(40), ...(url ? { MWAUTH_DATABASE_URL: url } : {}) };
    const nodes = [await createServices(loadConfig(env), { role: 'cli' }), await createServices(loadConfig(env), { role: 'cli' })];
    t.after(async () => {
      for (const n of nodes) await n.close(0);
    });
    // Latin, Cyrillic and Greek spellings of the same names, and a case/space variant that is the same name.
    const groups = [['Alice', '\u0410lice', 'Alic\u0435', '\u0391lice'], ['Bobby', 'B\u043ebby', 'Bobb\u0443'], ['Olga Ivanova', '\u041elga Ivanova', 'Olga_Ivanova', 'olga Ivanova']];
    const attempts = groups.flat().flatMap((name, i) => [0, 1].map((k) => ({ name, node: nodes[(i + k) % 2]! })));
    const outcomes = await Promise.all(
      attempts.map(({ name, node }) =>
        node.accountCreation.create('operator', { username: name, password: { password: PASSWORD, retype: PASSWORD }, email: '', realname: null, reason: null, mailPassword: false }, 'cli'),
      ),
    );
    for (const o of outcomes) if (o.status !== 'PASS') assert.match(o.message.key, /^(antispoof-conflict-top|userexists)$/, JSON.stringify(o));
    const made = (await nodes[0]!.users.list()).map((u) => u.name);
    assert.equal(made.length, groups.length, made.join(', '));
    for (const group of groups) assert.equal(made.filter((n) => group.map((g) => g.replace(/_/g, ' ').replace(/^o/, 'O')).includes(n)).length, 1, `${group[0]}: ${made.join(', ')}`);
    assert.equal(outcomes.filter((o) => o.status === 'PASS').length, groups.length);
  });
}
