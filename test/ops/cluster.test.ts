// The local cluster of `npm run cluster` — PostgreSQL, Redis, three `mwauth serve` nodes and a real nginx
// with deploy/nginx/mwauth-proxy.conf — running the whole reset flow while a node is killed midway: no
// client sees an error, the session goes on on the other nodes, and the killed node comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { startCluster } from '../../scripts/cluster.js';
import { Client, readMails } from '../helpers/harness.js';
import { runCli } from '../helpers/process.js';
import { SERVICES_REQUIRED, skipUnless } from '../helpers/services.js';
import { eventually, redisServerMissing, sample } from './helpers.js';

const nginxMissing = spawnSync('nginx', ['-v']).error ? 'nginx is not installed (Debian: nginx-light)' : false;
if (nginxMissing && SERVICES_REQUIRED) throw new Error(`${nginxMissing} (MWAUTH_REQUIRE_SERVICES=1)`);
const skip = nginxMissing || redisServerMissing() || (await skipUnless('postgres'));

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

test('npm run cluster: the reset flow through nginx and three nodes, a node killed midway, and every process gone at the end', { skip, timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3 });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await cluster.stop();
  });
  const [node1, node2, node3] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]];
  const added = await runCli(['user', 'add', 'Alice', '--email', 'alice@example.org', '--password', 'Alice-Pass-1'], cluster.cliEnv);
  assert.equal(added.code, 0, added.stderr);

  // Through nginx, requests reach every node.
  const c = new Client(cluster.api);
  for (let i = 0; i < 6; i++) assert.equal((await c.get({ action: 'query', meta: 'siteinfo' })).status, 200);
  for (const n of cluster.nodes) {
    const m = await (await fetch(`${n.url}/metrics`)).text();
    assert.ok(sample(m, 'mwauth_api_requests_total{module="query",status="200"}')! >= 1, `${n.name} served some`);
  }

  // 1. The reset request, and its mail.
  const reset = await c.post({ action: 'resetpassword', user: 'Alice', token: '+\\' });
  assert.equal(reset.json.resetpassword?.status, 'success', reset.text);
  let mails: Awaited<ReturnType<typeof readMails>> = [];
  await eventually('the reset mail', async () => (mails = await readMails(cluster.mailDir)).length === 1);
  const temp = mails[0]!.tempPassword!;
  assert.ok(temp);
  assert.ok(mails[0]!.text.includes(`${cluster.url}/wiki/Special:UserLogin`), 'links from MWAUTH_SERVER, the address nginx answers on');

  // 2. A node dies (SIGKILL) while clients keep asking: nginx sends them to the others.
  const reader = new Client(cluster.api);
  let killing = true;
  const statuses: number[] = [];
  const lanes = [1, 2, 3].map(async () => {
    while (killing) statuses.push((await reader.get({ action: 'query', meta: 'siteinfo' })).status);
  });
  await new Promise((r) => setTimeout(r, 200));
  await node2.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  killing = false;
  await Promise.all(lanes);
  assert.ok(statuses.length > 10, `requests ran meanwhile (${statuses.length})`);
  assert.deepEqual([...new Set(statuses)], [200], 'every request answered, none lost to the killed node');

  // 3. The rest of the flow, on the nodes left: the temporary password, the forced change, the new session.
  const cl = await c.post({ action: 'clientlogin', username: 'Alice', password: temp, loginreturnurl: `${cluster.url}/`, logintoken: await c.token('login') });
  assert.equal(cl.json.clientlogin.status, 'UI', cl.text);
  const done = await c.post({ action: 'clientlogin', logincontinue: '1', password: 'Alice-New-Pass-2', retype: 'Alice-New-Pass-2', logintoken: await c.token('login') });
  assert.equal(done.json.clientlogin.status, 'PASS', done.text);
  for (let i = 0; i < 6; i++) {
    const me = await c.get({ action: 'query', meta: 'userinfo' });
    assert.equal(me.status, 200);
    assert.equal(me.json.query.userinfo.name, 'Alice', 'the session is every node\'s');
  }
  assert.equal((await new Client(cluster.api).login('Alice', 'Alice-Pass-1')).result, 'Failed', 'the old password is gone');
  assert.equal((await new Client(cluster.api).login('Alice', 'Alice-New-Pass-2')).result, 'Success');
  await eventually('the "password changed" notice', async () => (await readMails(cluster.mailDir)).length === 2);

  // 4. The killed node comes back and is ready again; the others never stopped being ready.
  assert.equal((await fetch(`${node1.url}/readyz`)).status, 200);
  assert.equal((await fetch(`${node3.url}/readyz`)).status, 200);
  await node2.start();
  assert.equal((await fetch(`${node2.url}/readyz`)).status, 200);
  assert.equal((await c.get({ action: 'query', meta: 'userinfo' })).json.query.userinfo.name, 'Alice');

  // 5. Stopping leaves no process and no port behind.
  await cluster.stop();
  stopped = true;
  assert.deepEqual(cluster.nodes.map((n) => n.alive), [false, false, false]);
  for (const port of [new URL(cluster.url).port, ...cluster.nodes.map((n) => n.port)]) assert.ok(await refuses(Number(port)), `nothing listens on ${port}`);
});
