// A mocha suite written with api-testing 1.8.0 (Wikimedia's library behind MediaWiki core's
// tests/api-testing), the way MediaWiki's own API tests are written. Run by test/ecosystem/api-testing.test.ts:
//
//   API_TESTING_CONFIG_FILE=<tmp>/.api-testing.config.json mocha api-testing.spec.cjs
//
// The config names the wiki (base_uri, the folder holding api.php) and root_user, a sysop+bureaucrat.
// Accounts made with the mwauth CLI come in through ECO_* variables:
//   ECO_RESET_USER / ECO_RESET_USER_EMAIL   reset by anonymous user name (the mail goes there)
//   ECO_RESET_EMAIL                         reset by email address from an account api-testing creates
//   ECO_BOT_NAME / ECO_BOT_PASSWORD         a bot password (Name@app) and its password
//   ECO_CHANGE_USER / ECO_CHANGE_EMAIL      reset from the bot-password session; its temporary
//                                           password then goes through action=clientlogin
//   ECO_NEW_PASSWORD                        the password the forced change sets
//   ECO_MAIL_DIR                            where the server writes .eml files
'use strict';

const fs = require('fs');
const path = require('path');
const { simpleParser } = require('mailparser');
const { action, assert, clientFactory, config } = require('api-testing');

const env = process.env;
const SUCCESS = { resetpassword: { status: 'success' } };

/** Waits (up to 10 s) for an .eml to `address`, returns its temporary password. */
async function tempPasswordFor(address) {
	const deadline = Date.now() + 10000;
	for (;;) {
		const files = fs.existsSync(env.ECO_MAIL_DIR) ? fs.readdirSync(env.ECO_MAIL_DIR).filter((f) => f.endsWith('.eml')) : [];
		for (const f of files) {
			const mail = await simpleParser(fs.readFileSync(path.join(env.ECO_MAIL_DIR, f)));
			const to = (mail.to && mail.to.value || []).map((a) => a.address.toLowerCase());
			const temp = /^Temporary password:\s*(\S+)\s*$/m.exec(mail.text || '');
			if (to.includes(address.toLowerCase()) && temp) {
				return temp[1];
			}
		}
		if (Date.now() > deadline) {
			throw new Error(`no mail to ${address} within 10 s`);
		}
		await new Promise((r) => setTimeout(r, 100));
	}
}

describe('mwauth through api-testing', function () {
	this.timeout(20000);

	let root;
	let alice;

	before(async () => {
		root = await action.root();
		alice = await action.alice();
	});

	it('action.root() logs in the root user under its canonical name with real tokens', async () => {
		assert.equal(root.username, config.root_user.name);
		assert.isAbove(root.userid, 0);
		// root() itself asserted that the userrights token is not the anonymous one.
		assert.notEqual(await root.token('userrights'), '+\\');
		assert.notEqual(await root.token('createaccount'), '+\\');
		assert.notEqual(await root.token('csrf'), '+\\');
		const info = await root.meta('userinfo', { uiprop: 'groups' });
		assert.equal(info.name, config.root_user.name);
		assert.includeMembers(info.groups, ['sysop', 'bureaucrat']);
	});

	it('action.alice() creates an account through root and logs it in', async () => {
		assert.match(alice.username, /^Alice[A-Za-z0-9]{10}$/);
		assert.isAbove(alice.userid, 0);
		const info = await alice.meta('userinfo', {});
		assert.equal(info.name, alice.username);
		assert.equal(info.id, alice.userid);
		assert.notEqual(await alice.token(), '+\\');
	});

	it('client.account() creates an account anonymously and logs it in', async () => {
		const bob = await clientFactory.getActionClient().account('Bob');
		assert.match(bob.username, /^Bob[A-Za-z0-9]{10}$/);
		const info = await bob.meta('userinfo', {});
		assert.equal(info.name, bob.username);
	});

	it('an anonymous client resets a password by user name with the +\\ token', async () => {
		const anon = action.getAnon();
		const token = await anon.token();
		assert.equal(token, '+\\');
		const result = await anon.action('resetpassword', { user: env.ECO_RESET_USER, token }, 'POST');
		assert.deepEqual(result, SUCCESS);
	});

	it('a logged-in account resets a password by email address', async () => {
		const result = await alice.action('resetpassword', { email: env.ECO_RESET_EMAIL, token: await alice.token() }, 'POST');
		assert.deepEqual(result, SUCCESS);
	});

	it('a stale csrf token is refused with badtoken', async () => {
		const error = await alice.actionError('resetpassword', { user: env.ECO_RESET_USER, token: '0123456789abcdef0123456789abcdef+\\' }, 'POST');
		assert.equal(error.code, 'badtoken');
	});

	let temp;
	it('a bot password logs in and resets a password by user name', async () => {
		const bot = clientFactory.getActionClient();
		const login = await bot.login(env.ECO_BOT_NAME, env.ECO_BOT_PASSWORD);
		assert.equal(login.lgusername, env.ECO_BOT_NAME.split('@')[0]);
		const result = await bot.action('resetpassword', { user: env.ECO_CHANGE_USER, token: await bot.token() }, 'POST');
		assert.deepEqual(result, SUCCESS);
		temp = await tempPasswordFor(env.ECO_CHANGE_EMAIL);
	});

	it('the temporary password logs in through clientlogin and the forced change sets a new one', async () => {
		assert.isString(temp, 'no temporary password from the previous test');
		const client = clientFactory.getActionClient();
		const logintoken = await client.token('login');
		const ui = await client.action('clientlogin', {
			username: env.ECO_CHANGE_USER,
			password: temp,
			loginreturnurl: config.base_uri,
			logintoken
		}, 'POST');
		assert.equal(ui.clientlogin.status, 'UI', JSON.stringify(ui));
		assert.equal(ui.clientlogin.messagecode, 'resetpass-temp-emailed');
		const fields = Object.assign({}, ...ui.clientlogin.requests.map((r) => r.fields || {}));
		assert.includeMembers(Object.keys(fields), ['password', 'retype']);

		const change = await client.action('clientlogin', {
			logincontinue: '1',
			password: env.ECO_NEW_PASSWORD,
			retype: env.ECO_NEW_PASSWORD,
			logintoken
		}, 'POST');
		assert.deepEqual(change.clientlogin, { status: 'PASS', username: env.ECO_CHANGE_USER });
		const info = await client.meta('userinfo', {});
		assert.equal(info.name, env.ECO_CHANGE_USER);

		// A new client logs in with the new password.
		const again = clientFactory.getActionClient();
		const login = await again.login(env.ECO_CHANGE_USER, env.ECO_NEW_PASSWORD);
		assert.equal(login.lgusername, env.ECO_CHANGE_USER);
	});
});
