// Special:CreateAccount: the checks of action=createaccount (src/accounts/create.ts); an anonymous creator is then logged in.
import { createAccount } from '../../accounts/create.js';
import type { PageContext, PageHandler, PageResult } from '../context.js';
import { errorSummary, field, focusField, form, guardPost, messageText, notice, type FormErrors } from '../forms.js';
import { html } from '../html.js';

const TITLE = 'Special:CreateAccount';
const FIELDS = { username: 'wpName', password: 'wpPassword', retype: 'wpRetype', email: 'wpEmail' } as const;

function render(ctx: PageContext, errors: FormErrors = {}, status = 200): PageResult {
  const labels = {
    wpName: ctx.t('authfield-username-label'),
    wpPassword: ctx.t('authfield-password-label'),
    wpRetype: ctx.t('authfield-retype-label'),
    wpEmail: ctx.t('authfield-email-label'),
  };
  const focus = focusField(errors, ['wpName', 'wpPassword', 'wpRetype', 'wpEmail']);
  const f = (name: keyof typeof labels, type: 'text' | 'password' | 'email', autocomplete: string, extra: { help?: string; required?: boolean }) =>
    field({ name, label: labels[name], type, value: ctx.form[name], autocomplete, error: errors[name], autofocus: focus === name, ...extra });
  const fields = html`${f('wpName', 'text', 'username', { required: true })}
${f('wpPassword', 'password', 'new-password', { required: true })}
${f('wpRetype', 'password', 'new-password', { required: true, help: ctx.t('authfield-retype-help') })}
${f('wpEmail', 'email', 'email', { help: ctx.t('authfield-email-help') })}`;
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
  // Refusals that no input can change are shown instead of the form.
  const block = await p.block();
  if (!p.can('createaccount')) return { status: 403, heading, body: notice(ctx.t('badaccess-groups'), 'warning') };
  if (block?.createAccount) return { status: 403, heading, body: notice(ctx.t('cantcreateaccount-text', block.by, block.reason), 'warning') };
  if (ctx.method !== 'POST') return render(ctx);
  const refused = guardPost(ctx, { writes: true });
  if (refused) return render(ctx, { '': refused }, 400);
  const r = await createAccount(ctx.services, p, {
    username: ctx.form.wpName ?? '',
    password: ctx.form.wpPassword ?? '',
    retype: ctx.form.wpRetype ?? '',
    email: ctx.form.wpEmail ?? '',
  });
  if (r.status === 'FAIL') return render(ctx, { [r.field ? FIELDS[r.field] : '']: messageText(ctx, r.message) });
  if (p.anon && (await ctx.services.loginFlow.logInCreated(ctx.session, r.user, ctx.ip))) return { redirect: ctx.link('Main_Page') };
  return { heading, body: html`${notice(ctx.t('web-createaccount-done', r.user.name), 'success')}<p><a href="${ctx.link(TITLE)}">${ctx.t('web-createaccount-another')}</a></p>` };
};
