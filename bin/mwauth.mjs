#!/usr/bin/env node
// Entry point of the `mwauth` command. It runs the compiled JavaScript in dist/ (scripts/build.mjs; `npm
// start` makes it) when that build is of the sources as they are; otherwise the TypeScript sources,
// through tsx, so a change to src/ takes effect at once, and a checkout that was never built still works.
// MWAUTH_FROM_SOURCE=1 asks for the sources even when the build is current.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { currentBuild } from '../scripts/build.mjs';

const args = process.argv.slice(2);
const build = process.env.MWAUTH_FROM_SOURCE === '1' ? null : currentBuild();
let entry;
if (build) {
  entry = await import(pathToFileURL(join(build, 'cli', 'main.js')).href);
} else {
  // Every module imported after register() passes through tsx's loader hooks, which costs about a
  // millisecond a file even when the file needs no transpiling. Kysely (some 260 files) is plain
  // JavaScript that every command but the help needs: imported first, it loads at Node's own speed and
  // the sources find it already loaded.
  const helpOnly = args.length === 0 || args[0] === 'help' || args.includes('--help') || args.includes('-h');
  if (!helpOnly) await import('kysely');
  const { register } = await import('tsx/esm/api');
  register();
  entry = await import('../src/cli/main.ts');
}
process.exitCode = await entry.main(args);
