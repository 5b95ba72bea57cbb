// A script written with nodemw 0.27.0, the way its README shows (run: node nodemw-client.cjs '<json>').
//
//   {"mode":"reset", "port", "username", "password", "user"|"email"}
//     bot.logIn(): POST action=login without a token → NeedToken → POST again with lgtoken;
//     bot.getToken(title, 'csrf') (siteinfo for the version, then meta=tokens);
//     bot.whoami() (meta=userinfo); bot.api.call({action:'resetpassword', …, token}, cb, 'POST').
//   {"mode":"clientlogin", "port", "username", "tempPassword", "newPassword", "returnUrl"}
//     action=clientlogin through bot.api.call() with the temporary password, the forced change,
//     then bot.logIn() on a new client with the new password.
//
// Prints its findings as `RESULT {json}`; nodemw's own logging (winston, errors only) goes to the console.
'use strict';

const Bot = require('nodemw');

const args = JSON.parse(process.argv[2] || '{}');
const out = {};

function newBot() {
  return new Bot({
    protocol: 'http',
    server: '127.0.0.1',
    port: args.port,
    path: '/w',
    userAgent: 'mwauth-ecosystem-test/1.0 (nodemw)',
  });
}

// nodemw is callback based: (err, data, next, raw).
function call(fn) {
  return new Promise((resolve, reject) => fn((err, data, next, raw) => (err ? reject(err) : resolve({ data, raw }))));
}

async function reset() {
  const bot = newBot();
  out.login = (await call((cb) => bot.logIn(args.username, args.password, cb))).data;
  out.version = (await call((cb) => bot.getMediaWikiVersion(cb))).data;
  const token = (await call((cb) => bot.getToken('Main Page', 'csrf', cb))).data;
  out.csrfToken = token;
  out.whoami = (await call((cb) => bot.whoami(cb))).data;
  const target = args.user !== undefined ? { user: args.user } : { email: args.email };
  const reply = await call((cb) => bot.api.call({ action: 'resetpassword', ...target, token }, cb, 'POST'));
  out.reset = reply.data;
  out.resetRaw = reply.raw;
}

async function clientlogin() {
  const bot = newBot();
  const tokens = (await call((cb) => bot.api.call({ action: 'query', meta: 'tokens', type: 'login' }, cb))).data;
  const logintoken = tokens.tokens.logintoken;
  out.ui = (await call((cb) => bot.api.call({
    action: 'clientlogin',
    username: args.username,
    password: args.tempPassword,
    loginreturnurl: args.returnUrl,
    logintoken,
  }, cb, 'POST'))).data;
  out.change = (await call((cb) => bot.api.call({
    action: 'clientlogin',
    logincontinue: '1',
    password: args.newPassword,
    retype: args.newPassword,
    logintoken,
  }, cb, 'POST'))).data;
  out.whoamiAfterChange = (await call((cb) => bot.whoami(cb))).data;

  const again = newBot();
  out.relogin = (await call((cb) => again.logIn(args.username, args.newPassword, cb))).data;
}

(args.mode === 'reset' ? reset() : args.mode === 'clientlogin' ? clientlogin() : Promise.reject(new Error(`unknown mode ${args.mode}`)))
  .then(() => 0, (err) => {
    out.error = String(err && err.message ? err.message : err);
    return 1;
  })
  .then((code) => process.stdout.write(`RESULT ${JSON.stringify(out)}\n`, () => process.exit(code)));
