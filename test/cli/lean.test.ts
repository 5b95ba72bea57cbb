// What the `mwauth` command loads: only its own command group, and for the commands that read and write
// accounts only the stores (no HTTP server, no API module, no mail, no worker); and the compiled build that
// `npm start` makes, used while it is of the current sources and left for the sources once they change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupsFor } from '../../src/cli/main.js';
import { ROOT, cliEnv, runCli, runProgram } from '../helpers/process.js';

const TRACE = fileURLToPath(new URL('../helpers/module-trace.mjs', import.meta.url));

function tempDir(t: { after(fn: () => void): void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `mwauth ARGS` from `root` and returns what it printed and every module URL it loaded. */
async function traced(root: string, args: string[], vars: Record<string, string>) {
  const file = join(mkdtempSync(join(tmpdir(), 'mwauth-trace-')), 'modules.txt');
  try {
    const r = await runProgram(process.execPath, ['--import', TRACE, join(root, 'bin', 'mwauth.mjs'), ...args], {
      cwd: root,
      env: { ...cliEnv(vars), MODULE_TRACE_FILE: file },
      timeoutMs: 120_000,
    });
    const modules = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    return { ...r, modules };
  } finally {
    rmSync(join(file, '..'), { recursive: true, force: true });
  }
}

const HEAVY = [/\/node_modules\/(fastify|@fastify|nodemailer|ioredis|prom-client|pino|@node-rs|mysql2|pg)\//, /\/(src|dist\/[0-9a-f]+)\/(api|web|recovery|jobs|ops)\//, /\/(src|dist\/[0-9a-f]+)\/mail\/(?!settings\.)/, /\/(src|dist\/[0-9a-f]+)\/(server|services)\.(ts|js)$/];

test('the groups a command line loads: its own, or all of them for the help and unknown commands', () => {
  const all = ['user', 'admin', 'mail', 'audit', 'secret', 'import'];
  const cases: Array<[string[], string[]]> = [
    [[], all],
    [['--help'], all],
    [['-h'], all],
    [['help'], all],
    [['help', 'user'], all],
    [['user', 'list'], ['user']],
    [['user', '--help'], ['user']],
    [['--help', 'user'], all],
    [['-h', 'block', 'list'], all],
    [['user', 'list', '--help'], ['user']],
    [['block', 'add', 'Alice'], ['admin']],
    [['botpassword', 'add', 'Alice', 'bot'], ['admin']],
    [['mail', 'list'], ['mail']],
    [['audit', '--type', 'login'], ['audit']],
    [['secret', 'check'], ['secret']],
    [['import', 'mediawiki', '/var/lib/mediawiki/wiki.sqlite'], ['import']],
    [['export', '--out', 'accounts.jsonl'], ['import']],
    [['serve', '--port', '8080'], []],
    [['usr', 'list'], all],
    [['USER', 'list'], all],
    [['__proto__'], all],
    [['constructor'], all],
  ];
  for (const [argv, groups] of cases) assert.deepEqual(groupsFor(argv), groups, argv.join(' '));
});

test('`mwauth user list`, `user set-email`, `user group` and `secret check` load the stores and nothing of the server', async (t) => {
  const dir = tempDir(t, 'mwauth-lean-');
  const env = { MWAUTH_DATA_DIR: dir, MWAUTH_FROM_SOURCE: '1' };
  const add = await runCli(['user', 'add', 'Alice', '--password', 'Lean-CLI-pass-1', '--email', 'alice@example.org'], { MWAUTH_DATA_DIR: dir });
  assert.equal(add.code, 0, add.stderr);
  for (const [args, out] of [
    [['user', 'list'], /^1\tAlice\talice@example\.org$/m],
    [['user', 'set-email', 'alice', 'new@example.org'], /email of "Alice" set/],
    [['user', 'group', 'Alice', 'bot'], /groups of "Alice": bot/],
    [['user', 'list', '--limit', '5'], /^1\tAlice\tnew@example\.org$/m],
    [['secret', 'check'], /fits|no server has recorded/],
  ] as Array<[string[], RegExp]>) {
    const r = await traced(ROOT, args, env);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, out);
    assert.ok(r.modules.some((m) => m.endsWith('/src/storage/db.ts')), `${args.join(' ')} opened the database`);
    const heavy = r.modules.filter((m) => HEAVY.some((h) => h.test(m)));
    assert.deepEqual(heavy, [], `${args.join(' ')} loaded what it does not need`);
    assert.ok(!r.modules.some((m) => /\/src\/cli\/(admin|mail|audit)\.ts$/.test(m)), `${args.join(' ')} loaded another command group`);
  }
  // Bad input to a lean command is still a clear error.
  const bad = await traced(ROOT, ['user', 'list', '--limit', '0'], env);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--limit must be a positive integer/);
  const missing = await traced(ROOT, ['user', 'set-email', 'Nobody', 'x@example.org'], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /there is no user "Nobody"/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace');
});

test('the compiled build: made by scripts/build.mjs, run while current, left for the sources when they change', async (t) => {
  // A copy of the project (its dependencies linked), so that building and touching sources here
  // disturbs no other test.
  const root = tempDir(t, 'mwauth-build-');
  for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(ROOT, f), join(root, f));
  for (const d of ['src', 'bin', 'scripts']) cpSync(join(ROOT, d), join(root, d), { recursive: true, filter: (p) => !p.includes(`${join(ROOT, 'src')}/dist`) });
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  const data = join(root, 'data');
  mkdirSync(data);
  const env = { MWAUTH_DATA_DIR: data };
  const check = () => runProgram(process.execPath, ['scripts/build.mjs', '--check'], { cwd: root });

  assert.equal((await check()).code, 1, 'no build yet');
  const fromSource = await traced(root, ['user', 'list'], env);
  assert.equal(fromSource.code, 0, fromSource.stderr);
  assert.ok(fromSource.modules.some((m) => m.endsWith(`${root}/src/cli/main.ts`)), 'ran the sources');

  const built = await runProgram(process.execPath, ['scripts/build.mjs'], { cwd: root, timeoutMs: 180_000 });
  assert.equal(built.code, 0, built.stderr);
  assert.equal((await check()).code, 0, 'current after the build');
  const first = readFileSync(join(root, 'dist', 'current'), 'utf8').trim().slice(0, 16);
  for (const asset of ['auth/common-passwords.txt', 'i18n/messages/en.json', 'web/style.css']) {
    assert.ok(existsSync(join(root, 'dist', first, asset)), `${asset} beside the JavaScript`);
  }
  const add = await traced(root, ['user', 'add', 'Alice', '--password', 'Compiled-pass-1'], env);
  assert.equal(add.code, 0, add.stderr);
  const list = await traced(root, ['user', 'list'], env);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^1\tAlice\t-$/m);
  assert.ok(list.modules.some((m) => m.endsWith(`${root}/dist/${first}/cli/main.js`)), 'ran the build');
  assert.ok(!list.modules.some((m) => m.includes('/node_modules/tsx/') || m.endsWith('.ts')), 'no transpiler, no TypeScript');
  const forced = await traced(root, ['user', 'list'], { ...env, MWAUTH_FROM_SOURCE: '1' });
  assert.ok(forced.modules.some((m) => m.endsWith(`${root}/src/cli/main.ts`)), 'MWAUTH_FROM_SOURCE=1 runs the sources');

  // A changed source: the build is stale and the sources run, with the change.
  const names = join(root, 'src', 'cli', 'users.ts');
  writeFileSync(names, readFileSync(names, 'utf8').replace("description('list accounts')", "description('list the accounts')"));
  assert.equal((await check()).code, 1, 'stale after a change');
  const help = await traced(root, ['user', '--help'], env);
  assert.match(help.stdout, /list the accounts/);
  assert.ok(help.modules.some((m) => m.endsWith(`${root}/src/cli/main.ts`)), 'ran the sources');

  // The next build keeps the previous one (a server started from it may still import from it) and removes older ones.
  mkdirSync(join(root, 'dist', '0123456789abcdef'));
  utimesSync(names, new Date(), new Date(Date.now() + 1000));
  const rebuilt = await runProgram(process.execPath, ['scripts/build.mjs'], { cwd: root, timeoutMs: 180_000 });
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  const second = readFileSync(join(root, 'dist', 'current'), 'utf8').trim().slice(0, 16);
  assert.notEqual(second, first);
  assert.deepEqual(readdirSync(join(root, 'dist')).sort(), ['current', first, second].sort());
  const help2 = await traced(root, ['user', '--help'], env);
  assert.match(help2.stdout, /list the accounts/);
  assert.ok(help2.modules.some((m) => m.endsWith(`${root}/dist/${second}/cli/main.js`)), 'ran the new build');

  // A build that fails (here: a broken tsconfig) says so and leaves the current build as it was.
  writeFileSync(join(root, 'tsconfig.build.json'), '{ "extends": "./no-such-tsconfig.json" }');
  const failed = await runProgram(process.execPath, ['scripts/build.mjs'], { cwd: root, timeoutMs: 180_000 });
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /tsc failed/);
  assert.equal(readFileSync(join(root, 'dist', 'current'), 'utf8').trim().slice(0, 16), second);
  assert.ok(!readdirSync(join(root, 'dist')).some((e) => e.includes('tmp')), 'no half-made folder left');
});
