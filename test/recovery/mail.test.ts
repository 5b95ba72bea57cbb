// The reset mail's text is rendered once per language and kind of requester and filled in per account:
// for every language and every kind of name, hostile ones too, it is the text the catalogue renders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createI18n } from '../../src/i18n/index.js';
import { quotedAccountName, resetMail } from '../../src/recovery/mail.js';

test('the filled-in reset mail equals the message rendered for each account, whatever the name or requester', () => {
  const i18n = createI18n({ sitename: 'TestWiki' });
  const site = { server: 'http://wiki.test', articlePath: '/wiki' };
  const names = ['Ann', 'Zoë Ärger', '$1 $2 {{PLURAL:1|a|b}} [[Main Page]] <b>x</b>', 'x\uE0001\uE001y\uE000', "'''bold''' ~~~~", 'مستخدم', 'a.b:c/d@e'];
  for (const lang of ['en', 'fr', 'ar']) {
    for (const name of names) {
      for (const [requester, ip] of [[name, false], ['192.0.2.7', true], ['2001:db8::1', true]] as Array<[string, boolean]>) {
        for (const expirySeconds of [86400, 7 * 86400, 3600]) {
          const m = resetMail(i18n, site, { userId: 1, userName: name, to: 'a@example.org', lang, requester, requesterIsIp: ip, tempPassword: 'abcdefghij', expirySeconds });
          const days = Math.max(1, Math.round(expirySeconds / 86400));
          const element = i18n.text(lang, 'passwordreset-emailelement', name, 'abcdefghij');
          const expected = i18n.text(lang, ip ? 'passwordreset-emailtext-ip' : 'passwordreset-emailtext-user', ip ? requester : quotedAccountName(requester), element, 1, '<http://wiki.test/wiki/Special:UserLogin>', days);
          assert.equal(m.text, expected, `${lang} ${JSON.stringify(name)} ${requester} ${days}`);
          assert.equal(m.subject, i18n.text(lang, 'passwordreset-emailtitle'));
          assert.deepEqual(m.secrets, ['abcdefghij']);
        }
      }
    }
  }
});
