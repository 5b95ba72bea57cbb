// The compiled server: tsc turns src/ into JavaScript under dist/, which `npm start` and the `mwauth`
// command run without a run-time transpiler. A stamp records the sources a build was made from (every
// file's path, size and modification time); when they change, the build is stale and is made again.
//
// Each build has a folder of its own, dist/<stamp>/, and dist/current names the newest. A server started
// from the previous build keeps finding its files (it may import some late) while a new one is made
// beside it; builds older than that are removed.
//
//   node scripts/build.mjs            build when missing or stale (npm start does this)
//   node scripts/build.mjs --force    build even when current
//   node scripts/build.mjs --check    exit 0 when current, 1 when not; build nothing
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(ROOT, 'dist');
const CURRENT = 'current';
/** What a build depends on besides src/. */
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json', 'node_modules/typescript/package.json'];

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** A digest of every source file's path, size and modification time: equal while nothing changed. */
export function sourceStamp(root = ROOT) {
  const files = walk(join(root, 'src'), []).concat(CONFIGS.map((f) => join(root, f)).filter((f) => existsSync(f)));
  const hash = createHash('sha256');
  for (const file of files.sort()) {
    const st = statSync(file);
    hash.update(`${relative(root, file)}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

const folderOf = (stamp) => stamp.slice(0, 16);

/** The folder of the build of the sources as they are now, or null when there is none. */
export function currentBuild(root = ROOT) {
  let stamp;
  try {
    stamp = readFileSync(join(root, 'dist', CURRENT), 'utf8').trim();
  } catch {
    return null;
  }
  if (stamp !== sourceStamp(root)) return null;
  const dir = join(root, 'dist', folderOf(stamp));
  return existsSync(join(dir, 'cli', 'main.js')) ? dir : null;
}

export const buildIsCurrent = (root = ROOT) => currentBuild(root) !== null;

/**
 * Compiles into a temporary folder, copies the files that are not TypeScript (messages, styles, the
 * common-password list) beside the JavaScript, renames the folder to its stamp and only then points
 * dist/current at it: a process starting meanwhile finds the old build or the new one, never half of one.
 */
export function build(root = ROOT, log = (line) => console.error(line)) {
  const stamp = sourceStamp(root);
  const dist = join(root, 'dist');
  const tmp = join(dist, `tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  const started = Date.now();
  log('mwauth: compiling the sources (tsc)…');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', tmp], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`tsc failed (${r.status ?? r.signal}): the sources do not compile; nothing was changed in dist/`);
  }
  cpSync(join(root, 'src'), tmp, { recursive: true, filter: (src) => !src.endsWith('.ts') || statSync(src).isDirectory() });
  const folder = join(dist, folderOf(stamp));
  rmSync(folder, { recursive: true, force: true });
  renameSync(tmp, folder);
  let previous = null;
  try {
    previous = folderOf(readFileSync(join(dist, CURRENT), 'utf8').trim());
  } catch {
    // The first build.
  }
  // A rename replaces dist/current in one step: no reader sees it empty.
  writeFileSync(join(dist, `${CURRENT}.tmp-${process.pid}`), `${stamp}\n`);
  renameSync(join(dist, `${CURRENT}.tmp-${process.pid}`), join(dist, CURRENT));
  for (const entry of readdirSync(dist)) {
    if (entry === CURRENT || entry === folderOf(stamp) || entry === previous || entry.includes('tmp-')) continue;
    rmSync(join(dist, entry), { recursive: true, force: true });
  }
  log(`mwauth: compiled into dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = process.argv[2];
  if (arg !== undefined && arg !== '--force' && arg !== '--check') {
    console.error('usage: node scripts/build.mjs [--force | --check]');
    process.exit(2);
  }
  if (arg === '--check') process.exit(buildIsCurrent() ? 0 : 1);
  if (arg === undefined && !existsSync(join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')) && !buildIsCurrent()) {
    // An install without the development dependencies (npm ci --omit=dev) has no tsc: the sources run through tsx.
    console.error('mwauth: TypeScript is not installed, so the sources run through tsx; build with `npm run build` before `npm prune --omit=dev`');
    process.exit(0);
  }
  try {
    if (arg === '--force' || !buildIsCurrent()) build();
  } catch (err) {
    console.error(`mwauth: ${err.message}`);
    process.exit(1);
  }
}
