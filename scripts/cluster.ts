// `npm run cluster`: a local cluster to try mwauth as it runs for real — a PostgreSQL database (made on
// the local server, dropped at the end), a Redis of its own, several `mwauth serve` nodes and nginx in
// front of them with deploy/nginx/mwauth-proxy.conf, all on free ports of 127.0.0.1. Ctrl-C stops it
// all. The CI's cluster test starts the same through startCluster().
//
//   npm run cluster                          three nodes
//   npm run cluster -- --nodes 5 --port 8080 --postgres postgres://postgres@127.0.0.1:5432/postgres
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'bin', 'mwauth.mjs');
const PROXY_CONF = join(ROOT, 'deploy', 'nginx', 'mwauth-proxy.conf');

export interface ClusterOptions {
  /** Nodes behind nginx (default 3). */
  nodes?: number;
  /** nginx's port (default: a free one). */
  port?: number;
  /** A PostgreSQL URL of a role that may create databases (default MWAUTH_CLUSTER_POSTGRES_URL, or postgres@127.0.0.1). */
  postgresUrl?: string;
  /** More settings for every node. */
  env?: Record<string, string>;
  /** Where progress goes (default: nowhere). */
  say?: (line: string) => void;
}

export interface ClusterNode {
  name: string;
  port: number;
  /** The node itself, not through nginx. */
  url: string;
  /** Whether it runs. */
  readonly alive: boolean;
  /** Starts it (again) and waits until it serves. */
  start(): Promise<void>;
  /** Sends the signal and waits for its end (SIGTERM: a clean shutdown; SIGKILL: a crash). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** What it printed (JSON log lines). */
  log: string;
}

export interface Cluster {
  /** nginx: the site as clients see it. */
  url: string;
  api: string;
  dir: string;
  mailDir: string;
  nodes: ClusterNode[];
  /** What a `mwauth` command needs to work on this cluster's data (also in <dir>/cluster.env). */
  cliEnv: Record<string, string>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** The environment without any MWAUTH_* setting of the caller's shell. */
function cleanEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MWAUTH_')) env[k] = v;
  return { ...env, ...vars };
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** Waits for `ok`; `dead` says why waiting is pointless (the program ended). */
async function until(what: string, ms: number, ok: () => Promise<boolean>, dead: () => string | null = () => null): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await ok().catch(() => false)) return;
    const why = dead();
    if (why) throw new Error(why);
    if (Date.now() > end) throw new Error(`${what} did not happen within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function pgAdmin(url: string, statement: string): Promise<void> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

/** Runs a program and stops it when the cluster stops; a program that ends early is reported. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(logFile, { flags: 'a' });
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  child.once('exit', () => out.end());
  return child;
}

export async function startCluster(o: ClusterOptions = {}): Promise<Cluster> {
  const say = o.say ?? (() => {});
  const count = o.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > 32) throw new Error('--nodes takes 1 to 32');
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-cluster-'));
  const mailDir = join(dir, 'mail');
  const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        say(`cleanup: ${(err as Error).message}`);
      }
    }
  };
  try {
    // PostgreSQL: a database of its own on the local server.
    const admin = o.postgresUrl ?? process.env.MWAUTH_CLUSTER_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const dbName = `mwauth_cluster_${randomBytes(5).toString('hex')}`;
    await pgAdmin(admin, `create database ${dbName}`);
    cleanups.push(() => pgAdmin(admin, `drop database if exists ${dbName} with (force)`));
    const dbUrl = new URL(admin);
    dbUrl.pathname = `/${dbName}`;

    // Redis: a server of its own, keeping nothing on disk.
    const redisPort = await freePort();
    const redis = run('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], process.env, join(dir, 'redis.log'));
    cleanups.push(async () => {
      redis.kill('SIGTERM');
      await exited(redis);
    });
    await until('redis-server answering', 10_000, async () => {
      const { Redis } = await import('ioredis');
      const r = new Redis(`redis://127.0.0.1:${redisPort}`, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      r.on('error', () => {});
      try {
        await r.connect();
        return (await r.ping()) === 'PONG';
      } finally {
        r.disconnect();
      }
    });

    const port = o.port ?? (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const shared: Record<string, string> = {
      MWAUTH_DATABASE_URL: dbUrl.toString(),
      MWAUTH_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      MWAUTH_SECRET: randomBytes(32).toString('hex'),
      MWAUTH_SERVER: url,
      MWAUTH_MAIL_DIR: mailDir,
      MWAUTH_PASSWORD_SENDER: 'wiki@cluster.localdomain',
      MWAUTH_SITENAME: 'mwauth cluster',
      // nginx forwards from 127.0.0.1: its X-Forwarded-For is believed.
      MWAUTH_TRUSTED_PROXIES: '127.0.0.1',
    };
    const cliEnv = { ...shared, MWAUTH_DATA_DIR: join(dir, 'cli') };
    writeFileSync(join(dir, 'cluster.env'), Object.entries(cliEnv).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });

    // The nodes.
    const nodes: ClusterNode[] = [];
    for (let i = 1; i <= count; i++) {
      const nodePort = await freePort();
      const name = `node${i}`;
      let child: ChildProcess | null = null;
      const node: ClusterNode = {
        name,
        port: nodePort,
        url: `http://127.0.0.1:${nodePort}`,
        log: '',
        get alive() {
          return child !== null && child.exitCode === null && child.signalCode === null;
        },
        async start() {
          if (node.alive) return;
          const env = cleanEnv({ ...shared, MWAUTH_DATA_DIR: join(dir, name), MWAUTH_HOST: '127.0.0.1', MWAUTH_PORT: String(nodePort), ...o.env });
          const from = node.log.length;
          const c = run(process.execPath, [BIN, 'serve'], env, join(dir, `${name}.log`));
          child = c;
          c.stdout!.setEncoding('utf8').on('data', (d: string) => (node.log += d));
          c.stderr!.setEncoding('utf8').on('data', (d: string) => (node.log += d));
          c.once('exit', (code, signal) => say(`${name} ended (${code ?? signal})`));
          await until(
            `${name} serving`,
            60_000,
            async () => node.log.slice(from).includes('mwauth: serving'),
            () => (c.exitCode !== null ? `${name} exited (${c.exitCode}):\n${node.log}` : null),
          );
        },
        async kill(signal: NodeJS.Signals = 'SIGTERM') {
          const c = child;
          if (!c || !node.alive) return;
          c.kill(signal);
          await exited(c);
        },
      };
      nodes.push(node);
    }
    cleanups.push(async () => {
      await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
    });
    await Promise.all(nodes.map((n) => n.start()));

    // nginx in front, with the shipped proxy settings.
    const conf = join(dir, 'nginx.conf');
    for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, 'nginx', d), { recursive: true });
    writeFileSync(
      conf,
      `worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')} warn;
events { worker_connections 1024; }
http {
    access_log ${join(dir, 'nginx-access.log')};
    client_body_temp_path ${join(dir, 'nginx', 'body')};
    proxy_temp_path ${join(dir, 'nginx', 'proxy')};
    fastcgi_temp_path ${join(dir, 'nginx', 'fastcgi')};
    uwsgi_temp_path ${join(dir, 'nginx', 'uwsgi')};
    scgi_temp_path ${join(dir, 'nginx', 'scgi')};
    upstream mwauth {
${nodes.map((n) => `        server 127.0.0.1:${n.port} max_fails=3 fail_timeout=10s;`).join('\n')}
        keepalive 16;
    }
    server {
        listen 127.0.0.1:${port};
        location / {
            include ${PROXY_CONF};
        }
    }
}
`,
    );
    const nginx = run(process.env.MWAUTH_NGINX ?? 'nginx', ['-p', dir, '-c', conf, '-e', join(dir, 'nginx-error.log')], process.env, join(dir, 'nginx.log'));
    cleanups.push(async () => {
      nginx.kill('SIGTERM');
      await exited(nginx);
    });
    await until(
      'nginx answering',
      10_000,
      async () => (await fetch(`${url}/healthz`)).status === 200,
      () => (nginx.exitCode !== null ? `nginx exited (${nginx.exitCode}): ${readFileSync(join(dir, 'nginx-error.log'), 'utf8').trim()}` : null),
    );
    return { url, api: `${url}/w/api.php`, dir, mailDir, nodes, cliEnv, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function usage(): never {
  process.stderr.write('usage: npm run cluster -- [--nodes N] [--port PORT] [--postgres ADMIN_URL]\n');
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const o: ClusterOptions = { say: (l) => process.stdout.write(`cluster: ${l}\n`) };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--nodes' && v) o.nodes = Number(argv[++i]);
    else if (argv[i] === '--port' && v) o.port = Number(argv[++i]);
    else if (argv[i] === '--postgres' && v) o.postgresUrl = argv[++i];
    else usage();
  }
  const c = await startCluster(o);
  process.stdout.write(
    [
      `mwauth cluster: ${c.api}  (nginx, to ${c.nodes.length} nodes)`,
      ...c.nodes.map((n) => `  ${n.name}: ${n.url}  (${n.url}/readyz, ${n.url}/metrics; log ${join(c.dir, `${n.name}.log`)})`),
      `  mail: ${c.mailDir}`,
      `  mwauth commands on this cluster: set -a; . ${join(c.dir, 'cluster.env')}; set +a; npx mwauth user add Alice --email alice@example.org --password 'Alice-Pass-1'`,
      'Ctrl-C stops it all and removes its database and files.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('cluster: stopping\n');
  await c.stop();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: Error) => {
    process.stderr.write(`cluster: ${err.message}\n`);
    process.exit(1);
  });
}
