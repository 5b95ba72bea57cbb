#!/usr/bin/env node
/*
 * reset_password.cjs: ask a wiki to mail a password reset with the `request` package
 * and its in-memory cookie jar (request.defaults({ jar: true })), the way MediaWiki's
 * API:Resetpassword JavaScript demo does it. CommonJS, as `request` is used there.
 *
 *   1. GET  action=query&meta=tokens&type=login        (only with --lgname)
 *   2. POST action=login lgname, lgpassword, lgtoken     (only with --lgname)
 *   3. GET  action=query&meta=tokens (csrf by default)
 *   4. POST action=resetpassword email= or user=, token
 *
 * The body of step 4 is printed on stdout; everything else goes to stderr.
 *
 * Usage: node reset_password.cjs [--url URL] (--email ADDRESS | --user NAME)
 *            [--lgname NAME --lgpassword PASSWORD]
 * Environment: MW_API_URL, MW_LGNAME, MW_LGPASSWORD.
 */
'use strict';

const { parseArgs } = require('node:util');
const request = require('request').defaults({ jar: true });

function fail(message) {
  process.stderr.write(`reset_password.cjs: ${message}\n`);
  process.exit(1);
}

let args;
try {
  args = parseArgs({
    options: {
      url: { type: 'string' },
      email: { type: 'string' },
      user: { type: 'string' },
      lgname: { type: 'string' },
      lgpassword: { type: 'string' },
    },
  }).values;
} catch (err) {
  fail(err.message);
}
const url = args.url ?? process.env.MW_API_URL;
const lgname = args.lgname ?? process.env.MW_LGNAME;
const lgpassword = args.lgpassword ?? process.env.MW_LGPASSWORD;
if (!url) fail('give --url URL or set MW_API_URL');
if ((args.email === undefined) === (args.user === undefined)) fail('give exactly one of --email ADDRESS or --user NAME');
if (lgname && lgpassword === undefined) fail('--lgname needs --lgpassword (or MW_LGPASSWORD)');

function parse(body, step) {
  try {
    return JSON.parse(body);
  } catch {
    return fail(`${step}: not JSON: ${String(body).slice(0, 300)}`);
  }
}

// Step 1: a login token; the jar keeps the session cookie.
function getLoginToken() {
  request.get({ url, qs: { action: 'query', meta: 'tokens', type: 'login', format: 'json' } }, (error, res, body) => {
    if (error) return fail(`step 1: ${error.message}`);
    const token = parse(body, 'step 1').query?.tokens?.logintoken;
    if (!token) return fail('step 1: no logintoken');
    logIn(token);
  });
}

// Step 2: log in with a bot password ("Name@app") or the main account.
function logIn(lgtoken) {
  request.post({ url, form: { action: 'login', lgname, lgpassword, lgtoken, format: 'json' } }, (error, res, body) => {
    if (error) return fail(`step 2: ${error.message}`);
    const login = parse(body, 'step 2').login ?? {};
    if (login.result !== 'Success') return fail(`login failed: ${JSON.stringify(login)}`);
    process.stderr.write(`logged in as ${login.lgusername}\n`);
    getCsrfToken();
  });
}

// Step 3: the csrf token (no type given: csrf).
function getCsrfToken() {
  request.get({ url, qs: { action: 'query', meta: 'tokens', format: 'json' } }, (error, res, body) => {
    if (error) return fail(`step 3: ${error.message}`);
    const token = parse(body, 'step 3').query?.tokens?.csrftoken;
    if (!token) return fail('step 3: no csrftoken');
    resetPassword(token);
  });
}

// Step 4: the reset, token last.
function resetPassword(token) {
  const form = { action: 'resetpassword' };
  if (args.email !== undefined) form.email = args.email;
  else form.user = args.user;
  form.format = 'json';
  form.token = token;
  request.post({ url, form }, (error, res, body) => {
    if (error) return fail(`step 4: ${error.message}`);
    process.stdout.write(body + '\n');
    if (res.statusCode !== 200) process.exitCode = 1;
  });
}

if (lgname) getLoginToken();
else getCsrfToken();
