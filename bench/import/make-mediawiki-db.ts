// Makes a MediaWiki database of N accounts for the import benchmark, quickly: MediaWiki's own installer
// (maintenance/install.php of Debian's mediawiki package) creates the schema once, then rows are bulk-inserted
// the way MediaWiki would have written them — a real :pbkdf2: hash (the installer's, reused), actors, 2 % in
// groups (some with an expiry), 5 % with a language and 1 % with requireemail, 0.5 % with a bot password,
// 0.2 % blocked, 1 % with a pending temporary password, and 1,000 address and range blocks.
//
//   node --import tsx bench/import/make-mediawiki-db.ts --users 1000000 --kind sqlite --out /tmp/mw-bench
//   node --import tsx bench/import/make-mediawiki-db.ts --users 1000000 --kind mysql --database mw_bench --prefix mw_
//
// Prints the SOURCE to give the reader (bench/import/read-mediawiki.ts) or `mwauth import mediawiki`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '1000000' },
    kind: { type: 'string', default: 'sqlite' },
    out: { type: 'string', default: '/tmp/mwauth-bench-mediawiki' },
    database: { type: 'string', default: 'mwauth_bench_mediawiki' },
    prefix: { type: 'string', default: '' },
    'mysql-url': { type: 'string', default: process.env.MWAUTH_TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306' },
  },
});
const USERS = Number(args.users);
const KIND = args.kind as 'sqlite' | 'mysql';
if (!Number.isSafeInteger(USERS) || USERS < 1) throw new Error('--users must be a positive whole number');
if (KIND !== 'sqlite' && KIND !== 'mysql') throw new Error('--kind is sqlite or mysql');
const PREFIX = args.prefix!;
const MW = process.env.MWAUTH_TEST_MEDIAWIKI_DIR || '/usr/share/mediawiki';
const ADMIN_PASSWORD = 'Bench-Admin-Pass-1!';

const outDir = resolve(args.out!);
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const mysqlUrl = new URL(args['mysql-url']!);

const t0 = performance.now();
if (KIND === 'mysql') {
  const mysql = (await import('mysql2/promise')).default;
  const c = await mysql.createConnection({ uri: args['mysql-url'] });
  await c.query(`DROP DATABASE IF EXISTS \`${args.database}\``);
  await c.end();
}
const dbArgs =
  KIND === 'sqlite'
    ? ['--dbtype=sqlite', `--dbpath=${join(outDir, 'db')}`, '--dbname=benchwiki']
    : [
        '--dbtype=mysql', `--dbserver=${mysqlUrl.hostname}:${mysqlUrl.port || 3306}`, `--dbuser=${decodeURIComponent(mysqlUrl.username)}`,
        `--dbpass=${decodeURIComponent(mysqlUrl.password)}`, `--installdbuser=${decodeURIComponent(mysqlUrl.username)}`,
        `--installdbpass=${decodeURIComponent(mysqlUrl.password)}`, `--dbname=${args.database}`,
      ];
const install = spawnSync('php', [
  join(MW, 'maintenance/install.php'), ...dbArgs, ...(PREFIX ? [`--dbprefix=${PREFIX}`] : []), '--server=http://127.0.0.1',
  '--scriptpath=/w', '--lang=en', `--pass=${ADMIN_PASSWORD}`, `--confpath=${outDir}`, '--skins=', 'BenchWiki', 'Admin',
], { encoding: 'utf8' });
if (install.status !== 0) throw new Error(`install.php failed:\n${install.stdout}\n${install.stderr}`);
const tInstalled = performance.now();

/** A row source: each table's columns and a function making the row of account i (or null: no row). */
interface Table {
  name: string;
  columns: string[];
  rows(i: number): Array<Array<string | number | null>>;
}

const ts = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
const registered = (i: number) => ts(new Date(Date.UTC(2005, 0, 1) + i * 60_000));

interface Rows {
  hash: string;
  tempHash: string;
  botHash: string;
  firstId: number;
  firstActor: number;
  commentId: number;
}

function tables(r: Rows): Table[] {
  const id = (i: number) => r.firstId + i;
  return [
    {
      name: 'user',
      columns: [
        'user_id', 'user_name', 'user_real_name', 'user_password', 'user_newpassword', 'user_newpass_time', 'user_email', 'user_touched',
        'user_token', 'user_email_authenticated', 'user_registration', 'user_editcount',
      ],
      rows: (i) => [[
        id(i), `Bench user ${i}`, i % 7 === 0 ? `Real Name ${i}` : '', r.hash, i % 100 === 3 ? r.tempHash : '', i % 100 === 3 ? registered(i) : null,
        i % 3 === 0 ? '' : `user${i}@example.org`, registered(i), (i.toString(16) + '0'.repeat(32)).slice(0, 32),
        i % 3 === 1 ? registered(i) : null, registered(i), i % 50,
      ]],
    },
    { name: 'actor', columns: ['actor_id', 'actor_user', 'actor_name'], rows: (i) => [[r.firstActor + i, id(i), `Bench user ${i}`]] },
    {
      name: 'user_groups',
      columns: ['ug_user', 'ug_group', 'ug_expiry'],
      rows: (i) => (i % 50 === 0 ? [[id(i), 'bot', null], ...(i % 100 === 0 ? [[id(i), 'sysop', '20991231000000']] : [])] : []),
    },
    {
      name: 'user_properties',
      columns: ['up_user', 'up_property', 'up_value'],
      rows: (i) => [
        ...(i % 20 === 0 ? [[id(i), 'language', ['fr', 'ar', 'de', 'es'][i % 4]!]] : []),
        ...(i % 100 === 5 ? [[id(i), 'requireemail', '1']] : []),
        ...(i % 100 === 9 ? [[id(i), 'disablemail', '1']] : []),
      ],
    },
    {
      name: 'bot_passwords',
      columns: ['bp_user', 'bp_app_id', 'bp_password', 'bp_token', 'bp_restrictions', 'bp_grants'],
      rows: (i) => (i % 200 === 0 ? [[id(i), 'bench', r.botHash, 'f'.repeat(32), '{"IPAddresses":["0.0.0.0/0","::/0"]}', '["basic","highvolume"]']] : []),
    },
    {
      name: 'ipblocks',
      columns: [
        'ipb_address', 'ipb_user', 'ipb_by_actor', 'ipb_reason_id', 'ipb_timestamp', 'ipb_auto', 'ipb_anon_only', 'ipb_create_account',
        'ipb_enable_autoblock', 'ipb_expiry', 'ipb_range_start', 'ipb_range_end', 'ipb_deleted', 'ipb_block_email', 'ipb_allow_usertalk', 'ipb_sitewide',
      ],
      rows: (i) => {
        const out: Array<Array<string | number | null>> = [];
        if (i % 500 === 7) out.push([`Bench user ${i}`, id(i), 1, r.commentId, registered(i), 0, 0, 1, 1, 'infinity', '', '', 0, i % 2, 0, 1]);
        if (i < 1000) {
          const ip = `10.${(i >> 8) & 255}.${i & 255}.0`;
          const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
          const start = `0A${hex((i >> 8) & 255)}${hex(i & 255)}00`;
          out.push([`${ip}/24`, 0, 1, r.commentId, registered(i), 0, 0, 1, 0, i % 2 ? 'infinity' : '20991231000000', start, `${start.slice(0, 6)}FF`, 0, 0, 1, 1]);
        }
        return out;
      },
    },
  ];
}

const batch = 5000;
let inserted = 0;
if (KIND === 'sqlite') {
  const { default: SQLite } = await import('better-sqlite3');
  const path = join(outDir, 'db', 'benchwiki.sqlite');
  const db = new SQLite(path);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  const t = (n: string) => `"${PREFIX}${n}"`;
  const admin = db.prepare(`SELECT user_id, user_password FROM ${t('user')} WHERE user_name = 'Admin'`).get() as { user_id: number; user_password: string };
  const maxActor = (db.prepare(`SELECT MAX(actor_id) AS m FROM ${t('actor')}`).get() as { m: number }).m;
  const maxUser = (db.prepare(`SELECT MAX(user_id) AS m FROM ${t('user')}`).get() as { m: number }).m;
  const comment = db.prepare(`INSERT INTO ${t('comment')} (comment_hash, comment_text) VALUES (0, 'bench: spam')`).run();
  const rows: Rows = { hash: admin.user_password, tempHash: admin.user_password, botHash: admin.user_password, firstId: maxUser + 1, firstActor: maxActor + 1, commentId: Number(comment.lastInsertRowid) };
  const specs = tables(rows).map((tb) => ({ tb, stmt: db.prepare(`INSERT INTO ${t(tb.name)} (${tb.columns.join(', ')}) VALUES (${tb.columns.map(() => '?').join(', ')})`) }));
  const run = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) for (const s of specs) for (const row of s.tb.rows(i)) s.stmt.run(row);
  });
  for (let i = 0; i < USERS; i += batch) {
    run(i, Math.min(USERS, i + batch));
    inserted = Math.min(USERS, i + batch);
  }
  db.close();
  console.log(`SOURCE ${path}${PREFIX ? ` --prefix ${PREFIX}` : ''}`);
} else {
  const mysql = (await import('mysql2/promise')).default;
  const uri = `${args['mysql-url']!.replace(/\/$/, '')}/${args.database}`;
  const c = await mysql.createConnection({ uri });
  const t = (n: string) => `\`${PREFIX}${n}\``;
  const [[admin]] = (await c.query(`SELECT user_password FROM ${t('user')} WHERE user_name = 'Admin'`)) as unknown as [[{ user_password: Buffer }]];
  const [[mx]] = (await c.query(`SELECT (SELECT MAX(user_id) FROM ${t('user')}) AS u, (SELECT MAX(actor_id) FROM ${t('actor')}) AS a`)) as unknown as [[{ u: number; a: number }]];
  const [res] = (await c.query(`INSERT INTO ${t('comment')} (comment_hash, comment_text) VALUES (0, 'bench: spam')`)) as unknown as [{ insertId: number }];
  const hash = admin.user_password.toString('utf8');
  const rows: Rows = { hash, tempHash: hash, botHash: hash, firstId: mx.u + 1, firstActor: mx.a + 1, commentId: res.insertId };
  const specs = tables(rows);
  await c.query('SET unique_checks = 0, foreign_key_checks = 0');
  for (let i = 0; i < USERS; i += batch) {
    const to = Math.min(USERS, i + batch);
    await c.query('START TRANSACTION');
    for (const tb of specs) {
      const values: Array<Array<string | number | null>> = [];
      for (let j = i; j < to; j++) values.push(...tb.rows(j));
      if (values.length) await c.query(`INSERT INTO ${t(tb.name)} (${tb.columns.join(', ')}) VALUES ?`, [values]);
    }
    await c.query('COMMIT');
    inserted = to;
  }
  await c.end();
  const shown = new URL(uri);
  if (shown.password) shown.password = '***';
  console.log(`SOURCE ${shown}${PREFIX ? ` --prefix ${PREFIX}` : ''}`);
}
const t1 = performance.now();
console.log(`${KIND}: install.php ${((tInstalled - t0) / 1000).toFixed(1)} s, ${inserted} accounts inserted in ${((t1 - tInstalled) / 1000).toFixed(1)} s`);
