// npm run bench:ops [-- --scrapes 300 --resets 50]
//
// What the operator's endpoints cost: a node on a fresh SQLite data folder (a real socket), `--resets`
// reset requests handled first so that the counters and the queue figures have something to show, then
// `--scrapes` GET /metrics and as many GET /readyz, one at a time. Prints the size of a scrape and the
// latency of each endpoint (p50, p99, max) as the client measured it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/server.js';

const { values: args } = parseArgs({ options: { scrapes: { type: 'string', default: '300' }, resets: { type: 'string', default: '50' } } });
const SCRAPES = Number(args.scrapes);
const RESETS = Number(args.resets);

const dir = mkdtempSync(join(tmpdir(), 'mwauth-bench-ops-'));
const srv = await startServer(loadConfig({ MWAUTH_DATA_DIR: dir, MWAUTH_PORT: '0', MWAUTH_SERVER: 'http://wiki.test', MWAUTH_RESET_IP_LIMIT: `${RESETS + 1}/3600` }));
try {
  const api = `${srv.url}/w/api.php`;
  for (let i = 0; i < RESETS; i++) {
    await fetch(api, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `action=resetpassword&user=Nobody${i}&token=%2B%5C&format=json` });
  }
  await srv.services.recoveryWorker.kick();
  const time = async (path: string) => {
    const ms: number[] = [];
    let bytes = 0;
    for (let i = 0; i < SCRAPES; i++) {
      const t = performance.now();
      const r = await fetch(srv.url + path);
      bytes = (await r.text()).length;
      if (!r.ok) throw new Error(`${path}: ${r.status}`);
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    const at = (p: number) => ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)]!.toFixed(2);
    return `${path}: ${bytes} bytes, p50 ${at(50)} ms, p99 ${at(99)} ms, max ${ms.at(-1)!.toFixed(2)} ms over ${SCRAPES}`;
  };
  console.log(await time('/metrics'));
  console.log(await time('/readyz'));
  console.log(await time('/healthz'));
} finally {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
}
