#!/usr/bin/env node
// Entry point of the `mwauth` command. Sources are TypeScript, loaded through tsx.
import { register } from 'tsx/esm/api';

// Every module imported after register() passes through tsx's loader hooks, which costs about a
// millisecond a file even when the file needs no transpiling. Kysely (some 260 files) and nodemailer are
// plain JavaScript that every command but the help needs: imported first, they load at Node's own speed
// and the sources find them already loaded.
const args = process.argv.slice(2);
const helpOnly = args.length === 0 || args[0] === 'help' || args.includes('--help') || args.includes('-h');
if (!helpOnly) await Promise.all([import('kysely'), import('nodemailer')]);

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(args);
