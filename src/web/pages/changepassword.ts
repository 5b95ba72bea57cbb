// Special:ChangePassword: a logged-in user sets a new password (the rules of action=changeauthenticationdata).
import type { PageContext, PageHandler, PageResult } from '../context.js';
import { errorSummary, field, focusField, form, guardPost, messageText, notice, type FormErrors } from '../forms.js';
import { html } from '../html.js';

const TITLE = 'Special:ChangePassword';

function render(ctx: PageContext, errors: FormErrors = {}, status = 200): PageResult {
  const name = ctx.performer.name;
  const labels = { wpNewPassword: ctx.t('authfield-newpassword-label'), wpRetype: ctx.t('authfield-retype-label') };
  const focus = focusField(errors, ['wpNewPassword', 'wpRetype']);
  const fields = html`<input type="text" name="wpName" value="${name}" autocomplete="username" readonly hidden>
${field({ name: 'wpNewPassword', label: labels.wpNewPassword, type: 'password', autocomplete: 'new-password', required: true, help: ctx.t('authfield-newpassword-help'), error: errors.wpNewPassword, autofocus: focus === 'wpNewPassword' })}
${field({ name: 'wpRetype', label: labels.wpRetype, type: 'password', autocomplete: 'new-password', required: true, help: ctx.t('authfield-retype-help'), error: errors.wpRetype, autofocus: focus === 'wpRetype' })}`;
  return {
    status,
    heading: ctx.t('web-changepassword-title'),
    body: html`${errorSummary(ctx, errors, labels)}<p>${ctx.t('web-changepassword-intro', name)}</p>
${form(ctx, ctx.link(TITLE), fields, ctx.t('web-changepassword-submit'))}`,
  };
}

export const changePasswordPage: PageHandler = async (ctx) => {
  const user = ctx.performer.user;
  if (!user) return { redirect: ctx.link('Special:UserLogin', { returnto: TITLE }) };
  // A login with the password more than an hour ago (or a "remember me" return) logs in again first.
  if (ctx.services.loginFlow.securityStatus(ctx.session) === 'reauth') {
    return { redirect: ctx.link('Special:UserLogin', { returnto: TITLE, force: '1', wpName: user.name }) };
  }
  const heading = ctx.t('web-changepassword-title');
  if (ctx.method !== 'POST') return render(ctx);
  const refused = guardPost(ctx, { writes: true });
  if (refused) return render(ctx, { '': refused }, 400);
  const problem = await ctx.services.loginFlow.changePassword(ctx.session, user, ctx.performer.groups, {
    password: ctx.form.wpNewPassword ?? '',
    retype: ctx.form.wpRetype ?? '',
    ip: ctx.ip,
    via: 'web',
  });
  if (problem) return render(ctx, { [problem.key === 'badretype' ? 'wpRetype' : 'wpNewPassword']: messageText(ctx, problem) });
  return { heading, body: html`${notice(ctx.t('web-changepassword-done'), 'success')}<p><a href="${ctx.link('Main_Page')}">${ctx.t('web-mainpage-title')}</a></p>` };
};
