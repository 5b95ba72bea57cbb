// Special:UserLogin: name and password; after a temporary password, the forced choice of a new one.
// The steps, the forced change's window and what they do to the session are services.loginFlow's.
import type { User } from '../../accounts/users.js';
import type { PageContext, PageHandler, PageResult } from '../context.js';
import { errorSummary, field, focusField, form, guardPost, messageText, notice, type FormErrors } from '../forms.js';
import { html } from '../html.js';

const TITLE = 'Special:UserLogin';
/** Only our own pages are return targets: never another site. */
export function returnTarget(raw: string | undefined): string {
  const title = (raw ?? '').trim().replace(/ /g, '_');
  return /^[\p{L}\p{N}_:().,-]+$/u.test(title) && !title.startsWith(':') ? title : 'Main_Page';
}

function loginForm(ctx: PageContext, errors: FormErrors = {}, status = 200): PageResult {
  const labels = { wpName: ctx.t('authfield-username-label'), wpPassword: ctx.t('authfield-password-label') };
  const named = Boolean(ctx.form.wpName ?? ctx.query.wpName);
  const focus = Object.keys(errors).some(Boolean) ? focusField(errors, ['wpName', 'wpPassword']) : named ? 'wpPassword' : 'wpName';
  const p = ctx.performer;
  // Sent here to log in again before a security-sensitive step (Special:ChangePassword), as MediaWiki's force=.
  const reauth = Boolean(p.user && (ctx.form.force ?? ctx.query.force));
  const fields = html`${reauth ? html`<input type="hidden" name="force" value="1">` : ''}<input type="hidden" name="returnto" value="${returnTarget(ctx.form.returnto ?? ctx.query.returnto)}">
${field({ name: 'wpName', label: labels.wpName, type: 'text', value: ctx.form.wpName ?? ctx.query.wpName, autocomplete: 'username', required: true, error: errors.wpName, autofocus: focus === 'wpName' })}
${field({ name: 'wpPassword', label: labels.wpPassword, type: 'password', autocomplete: 'current-password', required: true, error: errors.wpPassword, autofocus: focus === 'wpPassword' })}
${field({ name: 'wpRemember', label: ctx.t('authfield-rememberme-label'), type: 'checkbox', checked: ctx.form.wpRemember === '1', help: ctx.t('authfield-rememberme-help') })}`;
  const links = [
    ctx.services.recovery.enabled ? html`<li><a href="${ctx.link('Special:PasswordReset')}">${ctx.t('web-login-forgot')}</a></li>` : '',
    p.anon && p.can('createaccount') ? html`<li><a href="${ctx.link('Special:CreateAccount')}">${ctx.t('web-login-create-link')}</a></li>` : '',
  ];
  return {
    status,
    heading: ctx.t('web-login-title'),
    body: html`${reauth ? notice(ctx.t('web-changepassword-reauth'), 'warning') : p.user ? notice(ctx.t('web-login-already', p.user.name)) : ''}${errorSummary(ctx, errors, labels)}
${form(ctx, ctx.link(TITLE), fields, ctx.t('web-login-submit'))}
<ul class="links">${links}</ul>`,
  };
}

function changeForm(ctx: PageContext, user: User, intro: string, errors: FormErrors = {}, status = 200): PageResult {
  const labels = { wpNewPassword: ctx.t('authfield-newpassword-label'), wpRetype: ctx.t('authfield-retype-label') };
  const focus = focusField(errors, ['wpNewPassword', 'wpRetype']);
  const fields = html`<input type="hidden" name="wpStep" value="change">
<input type="text" name="wpName" value="${user.name}" autocomplete="username" readonly hidden>
${field({ name: 'wpNewPassword', label: labels.wpNewPassword, type: 'password', autocomplete: 'new-password', required: true, help: ctx.t('authfield-newpassword-help'), error: errors.wpNewPassword, autofocus: focus === 'wpNewPassword' })}
${field({ name: 'wpRetype', label: labels.wpRetype, type: 'password', autocomplete: 'new-password', required: true, help: ctx.t('authfield-retype-help'), error: errors.wpRetype, autofocus: focus === 'wpRetype' })}`;
  return {
    status,
    heading: ctx.t('web-login-change-title'),
    body: html`${errorSummary(ctx, errors, labels)}${notice(intro, 'warning')}
${form(ctx, ctx.link(TITLE), fields, ctx.t('web-login-change-submit'))}`,
  };
}

async function continueLogin(ctx: PageContext): Promise<PageResult> {
  const flow = ctx.services.loginFlow;
  const pending = await flow.pending(ctx.session);
  if (!pending) return loginForm(ctx, { '': ctx.t('authmanager-authn-not-in-progress') });
  const intro = ctx.t(pending.messageKey);
  const refused = guardPost(ctx, { writes: true });
  if (refused) return changeForm(ctx, pending.user, intro, { '': refused }, 400);
  const r = await flow.continue(ctx.session, { password: ctx.form.wpNewPassword ?? '', retype: ctx.form.wpRetype ?? '', ip: ctx.ip });
  if (r.status === 'FAIL') return loginForm(ctx, { '': messageText(ctx, r.message) });
  if (r.status === 'UI') return changeForm(ctx, r.user, intro, { [r.message.key === 'badretype' ? 'wpRetype' : 'wpNewPassword']: messageText(ctx, r.message) });
  return { redirect: ctx.link(returnTarget(r.returnUrl)) };
}

export const loginPage: PageHandler = async (ctx) => {
  if (ctx.method !== 'POST') return loginForm(ctx);
  if (ctx.form.wpStep === 'change') return continueLogin(ctx);
  const refused = guardPost(ctx, { writes: true });
  if (refused) return loginForm(ctx, { '': refused }, 400);
  const name = (ctx.form.wpName ?? '').trim();
  const password = ctx.form.wpPassword ?? '';
  const missing: FormErrors = {};
  if (!name) missing.wpName = ctx.t('web-error-required-username');
  if (!password) missing.wpPassword = ctx.t('web-error-required-password');
  if (Object.keys(missing).length) return loginForm(ctx, missing);

  const returnto = returnTarget(ctx.form.returnto);
  const r = await ctx.services.loginFlow.begin(ctx.session, { name, password, remember: ctx.form.wpRemember === '1', returnUrl: returnto, ip: ctx.ip });
  if (r.status === 'FAIL') return loginForm(ctx, { '': messageText(ctx, r.message) });
  if (r.status === 'UI') return changeForm(ctx, r.user, messageText(ctx, r.message));
  return { redirect: ctx.link(returnto) };
};
