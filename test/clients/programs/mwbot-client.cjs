// A script written with mwbot 2.1.3, the way its README shows (run: node mwbot-client.cjs '<json>').
//
//   {"mode":"reset", "api", "username"?, "password"?, "user"|"email"}
//     bot.login() (action=login without a token → NeedToken → with lgtoken, then siteinfo), or for an
//     anonymous run bot.setApiUrl(); bot.getEditToken(); bot.request() for meta=userinfo,
//     action=checktoken and action=resetpassword.
//   {"mode":"signup", "api", "name", "newPassword", "email", "realname", "returnUrl"}
//     bot.getCreateaccountToken(); action=validatepassword; action=createaccount; then a new bot logs
//     in as the new account and reads its userinfo.
//   {"mode":"clientlogin", "api", "name", "tempPassword", "newPassword", "returnUrl"}
//     action=clientlogin with the temporary password, the forced change, then bot.login() with the new one.
//
// Prints its findings as `RESULT {json}`.
'use strict';

const MWBot = require('mwbot');

const args = JSON.parse(process.argv[2] || '{}');
const out = {};

function newBot() {
  return new MWBot({ apiUrl: args.api, silent: true }, { headers: { 'User-Agent': 'mwauth-client-test/1.0 (mwbot)' } });
}

async function reset() {
  const bot = newBot();
  if (args.username) {
    const state = await bot.login({ username: args.username, password: args.password });
    out.login = { result: state.result, lgusername: state.lgusername, lguserid: state.lguserid, generator: state.generator };
    out.mwversion = bot.mwversion ? bot.mwversion.version : null;
  } else {
    bot.setApiUrl(args.api);
  }
  await bot.getEditToken();
  out.csrfToken = bot.editToken;
  out.checktoken = (await bot.request({ action: 'checktoken', type: 'csrf', token: bot.editToken })).checktoken;
  out.whoami = (await bot.request({ action: 'query', meta: 'userinfo' })).query.userinfo;
  const target = args.user !== undefined ? { user: args.user } : { email: args.email };
  out.reset = await bot.request({ action: 'resetpassword', ...target, token: bot.editToken });
}

async function signup() {
  const bot = newBot();
  await bot.getCreateaccountToken();
  out.createaccountToken = bot.createaccountToken;
  out.validate = (await bot.request({ action: 'validatepassword', password: args.newPassword, user: args.name })).validatepassword;
  out.weak = (await bot.request({ action: 'validatepassword', password: 'password', user: args.name })).validatepassword;
  out.created = (await bot.request({
    action: 'createaccount',
    createtoken: bot.createaccountToken,
    username: args.name,
    password: args.newPassword,
    retype: args.newPassword,
    email: args.email,
    realname: args.realname,
    createreturnurl: args.returnUrl,
  })).createaccount;
  out.again = (await bot.request({
    action: 'createaccount',
    createtoken: bot.createaccountToken,
    username: args.name,
    password: args.newPassword,
    retype: args.newPassword,
    createreturnurl: args.returnUrl,
  })).createaccount;
  const them = newBot();
  const state = await them.login({ username: args.name, password: args.newPassword });
  out.login = { result: state.result, lgusername: state.lgusername };
  out.whoami = (await them.request({ action: 'query', meta: 'userinfo', uiprop: 'email|realname' })).query.userinfo;
}

async function clientlogin() {
  const bot = newBot();
  const logintoken = (await bot.request({ action: 'query', meta: 'tokens', type: 'login' })).query.tokens.logintoken;
  out.ui = (await bot.request({ action: 'clientlogin', username: args.name, password: args.tempPassword, loginreturnurl: args.returnUrl, logintoken })).clientlogin;
  out.change = (await bot.request({ action: 'clientlogin', logincontinue: '1', password: args.newPassword, retype: args.newPassword, logintoken })).clientlogin;
  out.whoamiAfterChange = (await bot.request({ action: 'query', meta: 'userinfo' })).query.userinfo;
  const again = newBot();
  const state = await again.login({ username: args.name, password: args.newPassword });
  out.relogin = { result: state.result, lgusername: state.lgusername };
}

async function wrongPassword() {
  const bot = newBot();
  try {
    await bot.login({ username: args.username, password: args.password });
    out.loggedIn = true;
  } catch (err) {
    out.loggedIn = false;
    out.error = err.message;
    out.reason = err.response && err.response.login ? err.response.login.reason : null;
  }
}

const modes = { reset, signup, clientlogin, wrongPassword };
(modes[args.mode] ? modes[args.mode]() : Promise.reject(new Error(`unknown mode ${args.mode}`)))
  .then(() => 0, (err) => {
    out.error = String(err && err.message ? err.message : err);
    return 1;
  })
  .then((code) => process.stdout.write(`RESULT ${JSON.stringify(out)}\n`, () => process.exit(code)));
