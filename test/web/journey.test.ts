// The whole reset journey in a real browser, in English and in Arabic, keyboard only:
// request by email → mail → temporary password → forced change (mismatch, then success) → logged in
// → the old and the temporary passwords are refused. Every step is checked with axe-core and photographed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addUser, readMails, startTestServer, type TestServer } from '../helpers/harness.js';
import { AXE_SOURCE, axeViolations, launchBrowser, screenshot, serious } from './helpers.js';

type Lang = 'en' | 'ar';
const ACCOUNTS: Record<Lang, { name: string; email: string; old: string; fresh: string }> = {
  en: { name: 'Alice', email: 'alice@example.org', old: 'Old-Secret-1', fresh: 'Brand-New-Pass-9' },
  ar: { name: 'Samir', email: 'samir@example.org', old: 'Old-Secret-2', fresh: 'Brand-New-Pass-8' },
};
const UPDATE_DOCS = process.env.MWAUTH_DOC_SCREENSHOTS === '1';

let srv: TestServer;
let browser: Browser;
before(async () => {
  srv = await startTestServer();
  browser = await launchBrowser();
  await addUser(srv.services, ACCOUNTS.en.name, ACCOUNTS.en.old, { email: ACCOUNTS.en.email });
  const samir = await addUser(srv.services, ACCOUNTS.ar.name, ACCOUNTS.ar.old, { email: ACCOUNTS.ar.email });
  await srv.services.preferences.set(samir.id, 'language', 'ar');
});
after(async () => {
  await browser?.close();
  await srv?.close();
});

async function newContext(lang: Lang): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  // The browser's language alone (Accept-Language) chooses the pages' language.
  const context = await browser.newContext({ locale: lang === 'ar' ? 'ar-EG' : 'en-GB', viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  await context.addInitScript(AXE_SOURCE);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  return { context, page, problems };
}

/** Presses Tab until the element has the focus: the field is reachable by keyboard. */
async function tabTo(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    if (await page.evaluate((s) => document.activeElement === document.querySelector(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`${selector} cannot be reached with the Tab key`);
}

async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  await tabTo(page, selector);
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  assert.notEqual(outline, 'none', `focus on ${selector} is visible`);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(text);
}

/** Language, direction, no CSP or script errors, and no serious axe-core violation. */
async function checkPage(page: Page, lang: Lang, problems: string[], step: string): Promise<void> {
  const doc = await page.evaluate(() => ({ lang: document.documentElement.lang, dir: document.documentElement.dir, direction: getComputedStyle(document.body).direction }));
  assert.equal(doc.lang, lang, `${step}: lang`);
  assert.equal(doc.dir, lang === 'ar' ? 'rtl' : 'ltr', `${step}: dir`);
  assert.equal(doc.direction, doc.dir, `${step}: computed direction`);
  const bad = serious(await axeViolations(page));
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} ${JSON.stringify(v.nodes.map((n) => n.target))}`), [], `${step}: axe-core`);
  assert.deepEqual(problems, [], `${step}: console errors (CSP)`);
}

async function login(page: Page, url: string, name: string, password: string): Promise<void> {
  await page.goto(`${url}/wiki/Special:UserLogin`);
  await typeInto(page, '#wpName', name);
  await typeInto(page, '#wpPassword', password);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

for (const lang of ['en', 'ar'] as const) {
  test(`password reset journey (${lang})`, async () => {
    const acct = ACCOUNTS[lang];
    const t = (key: string, ...params: Array<string | number>) => srv.services.i18n.text(lang, key, ...params);
    const { context, page, problems } = await newContext(lang);
    const shot = (n: string) => screenshot(page, `${lang}-${n}`);

    // 1. The reset page, then a request by email address.
    await page.goto(`${srv.url}/wiki/Special:PasswordReset`);
    assert.equal(await page.locator('h1').innerText(), t('web-reset-title'));
    await checkPage(page, lang, problems, 'reset form');
    await shot('01-passwordreset');
    if (UPDATE_DOCS) {
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await screenshot(page, `${lang}-docs`, `passwordreset-${lang}.png`);
    }
    await typeInto(page, '#wpEmail', acct.email);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.match(await page.locator('.notice').innerText(), new RegExp(t('web-reset-sent').split('\n')[0]!.slice(0, 30)));
    await checkPage(page, lang, problems, 'reset sent');
    await shot('02-reset-sent');

    // 2. The mail, in the account's language.
    await srv.flush();
    const mail = (await readMails(srv.mailDir)).find((m) => m.to.includes(acct.email));
    assert.ok(mail, 'a mail was written');
    assert.equal(mail.subject, t('passwordreset-emailtitle'));
    const temp = mail.tempPassword;
    assert.match(temp ?? '', /^[0-9a-v]{10,}$/);

    // 3. Log in with the temporary password: the forced change.
    await login(page, srv.url, acct.name, temp!);
    assert.equal(await page.locator('h1').innerText(), t('web-login-change-title'));
    assert.match(await page.locator('.notice').innerText(), new RegExp(t('resetpass-temp-emailed').split('\n')[0]!.slice(0, 20)));
    await checkPage(page, lang, problems, 'forced change');
    await shot('03-forced-change');

    // 4. A mismatched retype: the error is next to the retype field, and announced.
    await typeInto(page, '#wpNewPassword', acct.fresh);
    await typeInto(page, '#wpRetype', acct.fresh + 'x');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(await page.locator('h1').innerText(), t('web-login-change-title'));
    const retype = page.locator('#wpRetype');
    assert.equal(await retype.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator(`#${(await retype.getAttribute('aria-describedby'))!.split(' ')[0]}`).innerText(), t('badretype'));
    assert.equal(await page.locator('[role="alert"]').count(), 1);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'wpRetype', 'the field in error has the focus');
    // The error mark sits on the field's starting side: the right in Arabic, the left in English.
    const border = await page.locator('.field.has-error').evaluate((el) => ({ left: getComputedStyle(el).borderLeftWidth, right: getComputedStyle(el).borderRightWidth }));
    assert.deepEqual(border, lang === 'ar' ? { left: '0px', right: '4px' } : { left: '4px', right: '0px' });
    await checkPage(page, lang, problems, 'mismatch');
    await shot('04-mismatch');

    // 5. The same password twice: logged in.
    await typeInto(page, '#wpNewPassword', acct.fresh);
    await typeInto(page, '#wpRetype', acct.fresh);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(new URL(page.url()).pathname, '/wiki/Main_Page');
    assert.equal(await page.locator('.login-state').innerText(), t('web-mainpage-loggedin', acct.name));
    await checkPage(page, lang, problems, 'logged in');
    await shot('05-logged-in');
    await context.close();

    // 6. Elsewhere: the old and the temporary password are refused, the new one works.
    const other = await newContext(lang);
    for (const [password, ok] of [[acct.old, false], [temp!, false], [acct.fresh, true]] as const) {
      await other.context.clearCookies();
      await login(other.page, srv.url, acct.name, password);
      if (ok) {
        assert.equal(await other.page.locator('.login-state').innerText(), t('web-mainpage-loggedin', acct.name));
        continue;
      }
      assert.equal(await other.page.locator('h1').innerText(), t('web-login-title'));
      assert.match(await other.page.locator('[role="alert"]').innerText(), new RegExp(t('wrongpassword').slice(0, 15)));
      if (password === acct.old) {
        await checkPage(other.page, lang, other.problems, 'refused');
        await screenshot(other.page, `${lang}-06-old-password-refused`);
      }
    }
    await other.context.close();
  });
}

test('Arabic pages are right-to-left and mirrored, English ones left-to-right; every page passes axe-core', async () => {
  await addUser(srv.services, 'Layla', 'Layla-Pass-77');
  for (const lang of ['ar', 'en'] as const) {
    const { context, page, problems } = await newContext(lang);
    const visit = async (title: string, loggedIn: boolean) => {
      await page.goto(`${srv.url}/wiki/${title}`);
      if (title === 'Special:NoSuchPage') problems.length = 0; // its own 404
      const r = await page.evaluate(() => {
        const main = document.querySelector('main')!;
        const h1 = document.querySelector('h1')!.getBoundingClientRect();
        const box = main.getBoundingClientRect();
        const cs = getComputedStyle(main);
        const site = document.querySelector('.site-name')!.getBoundingClientRect();
        return {
          direction: cs.direction,
          // Distance from the heading to the content box's start edge (right in RTL, left in LTR).
          fromRight: Math.round(box.right - parseFloat(cs.paddingRight) - h1.right),
          fromLeft: Math.round(h1.left - box.left - parseFloat(cs.paddingLeft)),
          siteOnRight: site.left > window.innerWidth / 2,
        };
      });
      const where = `${lang} ${title}`;
      assert.equal(r.direction, lang === 'ar' ? 'rtl' : 'ltr', where);
      assert.ok(Math.abs(lang === 'ar' ? r.fromRight : r.fromLeft) <= 1, `${where}: the heading starts at the start edge (${JSON.stringify(r)})`);
      assert.equal(r.siteOnRight, lang === 'ar', `${where}: the site name is at the start`);
      await checkPage(page, lang, problems, `${where}${loggedIn ? ' (logged in)' : ''}`);
    };
    for (const title of ['Main_Page', 'Special:UserLogin', 'Special:PasswordReset', 'Special:CreateAccount', 'Special:UserLogout', 'Special:NoSuchPage']) {
      await visit(title, false);
    }
    await login(page, srv.url, 'Layla', 'Layla-Pass-77');
    for (const title of ['Main_Page', 'Special:ChangePassword', 'Special:UserLogout']) await visit(title, true);
    if (lang === 'ar') await screenshot(page, 'ar-07-logout');
    await context.close();
  }
});
