// Special:CreateAccount: the account door of action=createaccount (src/accounts/create.ts) behind a form.
// An anonymous creator is then logged in; a logged-in creator makes accounts for others, with a reason
// and, if asked, a temporary password mailed to the new account's address.
import type { NewAccountField } from '../../accounts/create.js';
import type { PageContext, PageHandler, PageResult } from '../context.js';
import { errorSummary, field, focusField, form, guardPost, messageText, notice, type FormErrors } from '../forms.js';
import { html } from '../html.js';

const TITLE = 'Special:CreateAccount';
const FIELDS: Record<Exclude<NewAccountField, null>, string> = { username: 'wpName', password: 'wpPassword', retype: 'wpRetype', email: 'wpEmail' };

function render(ctx: PageContext, errors: FormErrors = {}, status = 200): PageResult {
  const forOther = !ctx.performer.anon;
  const emailOn = ctx.services.config.enableEmail;
  const labels: Record<string, string> = {
    wpName: ctx.t('userlogin-yourname'),
    wpPassword: ctx.t('userlogin-yourpassword'),
    wpRetype: ctx.t('yourpasswordagain'),
    wpEmail: ctx.t('authmanager-email-label'),
    wpRealName: ctx.t('authmanager-realname-label'),
    wpReason: ctx.t('createacct-reason'),
  };
  const order = ['wpName', 'wpPassword', 'wpRetype', 'wpEmail', 'wpRealName', 'wpReason'];
  const focus = focusField(errors, order);
  const f = (name: string, type: 'text' | 'password' | 'email', autocomplete: string, extra: { help?: string; required?: boolean } = {}) =>
    field({ name, label: labels[name]!, type, value: ctx.form[name], autocomplete, error: errors[name], autofocus: focus === name, ...extra });
  const fields = html`${f('wpName', 'text', forOther ? 'off' : 'username', { required: true })}
${forOther && emailOn ? field({ name: 'wpCreateaccountMail', label: ctx.t('createaccountmail'), type: 'checkbox', checked: ctx.form.wpCreateaccountMail === '1', help: ctx.t('createaccountmail-help') }) : ''}
${f('wpPassword', 'password', 'new-password', { required: !forOther })}
${f('wpRetype', 'password', 'new-password', { required: !forOther, help: ctx.t('authmanager-retype-help') })}
${emailOn ? f('wpEmail', 'email', forOther ? 'off' : 'email', { help: ctx.t('authmanager-email-help') }) : ''}
${f('wpRealName', 'text', forOther ? 'off' : 'name', { help: ctx.t('authmanager-realname-help') })}
${forOther ? f('wpReason', 'text', 'off', { help: ctx.t('createacct-reason-help') }) : ''}`;
  return {
    status,
    heading: ctx.t('web-createaccount-title'),
    body: html`${errorSummary(ctx, errors, labels)}
${form(ctx, ctx.link(TITLE), fields, ctx.t('web-createaccount-submit'))}
${ctx.performer.anon ? html`<p class="aside"><a href="${ctx.link('Special:UserLogin')}">${ctx.t('web-createaccount-have-account')}</a></p>` : ''}`,
  };
}

export const createAccountPage: PageHandler = async (ctx) => {
  const heading = ctx.t('web-createaccount-title');
  const p = ctx.performer;
  const s = ctx.services;
  // Refusals that no input can change are shown instead of the form.
  const refused = await s.accountCreation.refusal(p);
  if (refused) return { status: 403, heading, body: notice(messageText(ctx, refused), 'warning') };
  if (ctx.method !== 'POST') return render(ctx);
  const bad = guardPost(ctx, { writes: true });
  if (bad) return render(ctx, { '': bad }, 400);
  const form = ctx.form;
  const mailPassword = !p.anon && s.config.enableEmail && form.wpCreateaccountMail === '1';
  const typed = (form.wpPassword ?? '') !== '' || (form.wpRetype ?? '') !== '';
  const r = await s.accountCreation.create(
    { performer: p },
    {
      username: form.wpName ?? '',
      // With a mailed password the password fields may stay empty.
      password: mailPassword && !typed ? null : { password: form.wpPassword ?? '', retype: form.wpRetype ?? '' },
      email: (form.wpEmail ?? '').trim(),
      realname: (form.wpRealName ?? '').trim(),
      reason: p.anon ? null : (form.wpReason ?? '').trim() || null,
      mailPassword,
    },
    'web',
  );
  if (r.status === 'FAIL') return render(ctx, { [r.field ? FIELDS[r.field] : '']: messageText(ctx, r.message) });
  if (p.anon && (await ctx.services.loginFlow.logInCreated(ctx.session, r.user, ctx.ip))) return { redirect: ctx.link('Main_Page') };
  const done = mailPassword ? ctx.t('web-createaccount-done-mailed', r.user.name, r.user.email) : ctx.t('web-createaccount-done', r.user.name);
  return { heading, body: html`${notice(done, 'success')}<p><a href="${ctx.link(TITLE)}">${ctx.t('web-createaccount-another')}</a></p>` };
};
