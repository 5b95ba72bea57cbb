// Main_Page: a plain welcome, with the ways in.
import type { PageHandler } from '../context.js';
import { html } from '../html.js';

export const mainPage: PageHandler = async (ctx) => {
  const p = ctx.performer;
  const link = (title: string, key: string) => html`<li><a href="${ctx.link(title)}">${ctx.t(key)}</a></li>`;
  const links = p.user
    ? [link('Special:ChangePassword', 'web-nav-changepassword'), link('Special:UserLogout', 'web-nav-logout')]
    : [
        link('Special:UserLogin', 'web-nav-login'),
        p.can('createaccount') ? link('Special:CreateAccount', 'web-nav-createaccount') : '',
        ctx.services.recovery.enabled ? link('Special:PasswordReset', 'web-login-forgot') : '',
      ];
  return {
    heading: ctx.t('web-mainpage-title'),
    body: html`<p>${ctx.t('web-mainpage-welcome')}</p>
<p class="login-state">${p.user ? ctx.t('web-mainpage-loggedin', p.user.name) : ctx.t('web-mainpage-anon')}</p>
<ul class="links">${links}</ul>`,
  };
};
