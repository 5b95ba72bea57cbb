// The generated server secret: one per data folder, however many processes start on it at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CONFIG = new URL('../../src/config.ts', import.meta.url).href;

/** One process reading the configuration at `at` (ms since the epoch): loaded before, then spinning to the moment. */
function secretOf(dataDir: string, at: number): Promise<string> {
  const code = `const { loadConfig } = await import(${JSON.stringify(CONFIG)}); while (Date.now() < ${at}); process.stdout.write(loadConfig({ MWAUTH_DATA_DIR: ${JSON.stringify(dataDir)} }).secrets[0]);`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
  });
}

test('eight processes starting on a new data folder at once all get one secret, the one in secret.key (0600), and leave no other file', async () => {
  for (let round = 0; round < 3; round++) {
    const dir = join(mkdtempSync(join(tmpdir(), 'mwauth-secret-')), 'data');
    try {
      const at = Date.now() + 3000;
      const secrets = await Promise.all(Array.from({ length: 8 }, () => secretOf(dir, at)));
      const kept = readFileSync(join(dir, 'secret.key'), 'utf8').trim();
      assert.match(kept, /^[0-9a-f]{64}$/);
      assert.deepEqual(new Set(secrets), new Set([kept]));
      assert.equal(statSync(join(dir, 'secret.key')).mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(dir), ['secret.key']);
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  }
});
