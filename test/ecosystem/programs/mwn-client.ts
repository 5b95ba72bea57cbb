// A bot written with mwn 3.0.3, the way its users write one (run: node --import tsx mwn-client.ts '<json>').
//
//   {"mode":"reset", "apiUrl", "username", "password", "user"|"email", "staleToken"?}
//     Mwn.init() (action=login, then tokens + siteinfo + userinfo in one query), then
//     bot.request({action:'resetpassword', …, token: bot.csrfToken}). With staleToken the csrf token is
//     replaced by a wrong one first: mwn must meet `badtoken`, ask action=paraminfo which token type
//     resetpassword takes, fetch new tokens and retry once.
//   {"mode":"clientlogin", "apiUrl", "username", "tempPassword", "newPassword", "returnUrl"}
//     action=clientlogin with the temporary password through bot.request(), answers the forced change
//     (logincontinue, password, retype), then Mwn.init() with the new password.
//
// mwn prints its own log lines ([S], [W], [E]) on stdout. This program prints `MARK init-done` after
// Mwn.init() so the caller can tell what mwn printed during init, and its findings as `RESULT {json}`.
import { Mwn, MwnError, type ApiParams } from 'mwn';

const args = JSON.parse(process.argv[2] ?? '{}') as Record<string, any>;
const userAgent = 'mwauth-ecosystem-test/1.0 (mwn)';
const out: Record<string, unknown> = {};

function finish(code = 0): never {
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`, () => process.exit(code));
  // process.exit runs in the write callback; keep TypeScript's control flow happy.
  return undefined as never;
}

function describe(err: unknown): Record<string, unknown> {
  if (err instanceof MwnError) return { code: err.code, info: err.info };
  const e = err as { code?: string; message?: string; info?: string };
  return { code: e.code ?? 'exception', info: e.info ?? e.message ?? String(err) };
}

async function reset(): Promise<void> {
  const bot = await Mwn.init({ apiUrl: args.apiUrl, username: args.username, password: args.password, userAgent, silent: true });
  console.log('MARK init-done');
  out.loggedIn = bot.loggedIn;
  out.lgusername = bot.state.lgusername;
  out.lguserid = bot.state.lguserid;
  out.csrfToken = bot.csrfToken;
  out.tokens = Object.keys(bot.state).filter((k) => k.endsWith('token')).sort();
  // The namespace data mwn keeps from siteinfo: titles parse and normalise with it.
  out.title = { ns: new bot.Title('User talk:bob').getNamespaceId(), text: new bot.Title('User talk:bob').toText() };

  if (args.staleToken) bot.csrfToken = '0123456789abcdef0123456789abcdef+\\';
  const target: ApiParams = args.user !== undefined ? { user: String(args.user) } : { email: String(args.email) };
  out.reset = await bot.request({ action: 'resetpassword', ...target, token: bot.csrfToken });
  out.csrfAfter = bot.csrfToken;
  out.userinfo = await bot.userinfo();
}

async function clientlogin(): Promise<void> {
  const bot = new Mwn({ apiUrl: args.apiUrl, userAgent, silent: true });
  const tokens = await bot.request({ action: 'query', meta: 'tokens', type: 'login' });
  const logintoken: string = tokens.query?.tokens.logintoken;
  out.ui = await bot.request({
    action: 'clientlogin',
    username: args.username,
    password: args.tempPassword,
    loginreturnurl: args.returnUrl,
    logintoken,
  });
  out.change = await bot.request({
    action: 'clientlogin',
    logincontinue: true,
    password: args.newPassword,
    retype: args.newPassword,
    logintoken,
  });
  out.userinfoAfterChange = await bot.userinfo();

  // A new bot logs in with the new password, as any mwn user would from now on.
  const again = await Mwn.init({ apiUrl: args.apiUrl, username: args.username, password: args.newPassword, userAgent, silent: true });
  console.log('MARK init-done');
  out.relogin = { loggedIn: again.loggedIn, lgusername: again.state.lgusername, csrfToken: again.csrfToken };
  out.reloginUserinfo = await again.userinfo();
}

try {
  if (args.mode === 'reset') await reset();
  else if (args.mode === 'clientlogin') await clientlogin();
  else throw new Error(`unknown mode ${args.mode}`);
  finish(0);
} catch (err) {
  out.error = describe(err);
  finish(1);
}
