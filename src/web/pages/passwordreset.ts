// Special:PasswordReset: a user name and/or an email address; the same answer whether or not anything matched.
import { canonicalUserName } from '../../accounts/names.js';
import { DomainError } from '../../util/errors.js';
import type { PageContext, PageHandler } from '../context.js';
import { errorSummary, field, focusField, form, guardPost, notice, type FormErrors } from '../forms.js';
import { html } from '../html.js';

const TITLE = 'Special:PasswordReset';

function render(ctx: PageContext, errors: FormErrors = {}, status = 200) {
  const routes = ctx.services.config.resetRoutes;
  const order = [routes.username ? 'wpUsername' : '', routes.email ? 'wpEmail' : ''].filter(Boolean);
  const labels = { wpUsername: ctx.t('authfield-username-label'), wpEmail: ctx.t('authfield-email-label') };
  const focus = focusField(errors, order);
  const intro = routes.username && routes.email ? 'web-reset-intro-both' : routes.username ? 'web-reset-intro-username' : 'web-reset-intro-email';
  const fields = html`${routes.username
    ? field({ name: 'wpUsername', label: labels.wpUsername, type: 'text', value: ctx.form.wpUsername, autocomplete: 'username', error: errors.wpUsername, autofocus: focus === 'wpUsername' })
    : ''}${routes.email
    ? field({ name: 'wpEmail', label: labels.wpEmail, type: 'email', value: ctx.form.wpEmail, autocomplete: 'email', error: errors.wpEmail, autofocus: focus === 'wpEmail' })
    : ''}`;
  return {
    status,
    heading: ctx.t('web-reset-title'),
    body: html`${errorSummary(ctx, errors, labels)}<p>${ctx.t(intro)}</p>
${form(ctx, ctx.link(TITLE), fields, ctx.t('web-reset-submit'))}
<p class="aside"><a href="${ctx.link('Special:UserLogin')}">${ctx.t('web-reset-back-to-login')}</a></p>`,
  };
}

/** Where a refusal of the reset service belongs on the form. */
function errorField(ctx: PageContext, e: DomainError): string {
  const { wpUsername = '', wpEmail = '' } = ctx.form;
  if (e.key === 'passwordreset-invalidemail') return wpEmail.trim() === '' && wpUsername.includes('@') ? 'wpUsername' : 'wpEmail';
  if (e.key === 'passwordreset-nodata') return ctx.services.config.resetRoutes.username ? 'wpUsername' : 'wpEmail';
  return '';
}

export const passwordResetPage: PageHandler = async (ctx) => {
  const recovery = ctx.services.recovery;
  try {
    await recovery.checkAllowed(ctx.performer);
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return { status: 403, heading: ctx.t('web-reset-title'), body: notice(ctx.t(e.key, ...e.params), 'warning') };
  }
  if (ctx.method !== 'POST') {
    if (ctx.query.sent === '1') {
      return {
        heading: ctx.t('web-reset-title'),
        body: html`${notice(ctx.t('web-reset-sent'), 'success')}<p><a href="${ctx.link('Special:UserLogin')}">${ctx.t('web-reset-back-to-login')}</a></p>`,
      };
    }
    return render(ctx);
  }
  const refused = guardPost(ctx, { writes: true });
  if (refused) return render(ctx, { '': refused }, 400);

  const rawUser = (ctx.form.wpUsername ?? '').trim();
  const email = (ctx.form.wpEmail ?? '').trim();
  // The API's "user" parameter refuses a name that can never be an account; so does the form.
  const user = rawUser === '' ? null : rawUser.includes('@') ? rawUser : canonicalUserName(rawUser);
  if (rawUser !== '' && user === null) return render(ctx, { wpUsername: ctx.t('noname') });
  try {
    await recovery.request(ctx.performer, { user, email: email || null });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return render(ctx, { [errorField(ctx, e)]: ctx.t(e.key, ...e.params) });
  }
  return { redirect: ctx.link(TITLE, { sent: '1' }) };
};
