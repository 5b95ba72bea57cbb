// The frame of every page: document language and direction, header, personal links, languages.
import type { PageContext } from './context.js';
import { html, type SafeHtml } from './html.js';

export interface Frame {
  heading: string;
  body: SafeHtml;
}

function autonym(code: string): string {
  try {
    return new Intl.DisplayNames([code], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

function personalLinks(ctx: PageContext): SafeHtml {
  const p = ctx.performer;
  const here = ctx.title;
  const item = (title: string, key: string, params: Record<string, string> = {}) =>
    html`<li><a href="${ctx.link(title, params)}"${title === here ? html` aria-current="page"` : ''}>${ctx.t(key)}</a></li>`;
  if (p.user) {
    return html`<li class="user-name">${ctx.t('web-nav-loggedin-as', p.user.name)}</li>${item('Special:ChangePassword', 'web-nav-changepassword')}${item('Special:UserLogout', 'web-nav-logout')}`;
  }
  const returnto: Record<string, string> = here.startsWith('Special:') ? {} : { returnto: here };
  return html`${p.can('createaccount') ? item('Special:CreateAccount', 'web-nav-createaccount') : ''}${item('Special:UserLogin', 'web-nav-login', returnto)}`;
}

function languageLinks(ctx: PageContext): SafeHtml {
  const langs = ctx.services.i18n.languages;
  return html`<nav class="languages" aria-label="${ctx.t('web-nav-languages')}"><ul>${langs.map((l) =>
    l === ctx.lang
      ? html`<li><span lang="${l}" dir="${ctx.services.i18n.direction(l)}" aria-current="true">${autonym(l)}</span></li>`
      : html`<li><a href="${ctx.link(ctx.title, { uselang: l })}" lang="${l}" hreflang="${l}" dir="${ctx.services.i18n.direction(l)}">${autonym(l)}</a></li>`,
  )}</ul></nav>`;
}

export function layout(ctx: PageContext, frame: Frame, assets: { stylesheet: string; icon: string }): string {
  const site = ctx.services.config.sitename;
  return (
    '<!DOCTYPE html>\n' +
    html`<html lang="${ctx.lang}" dir="${ctx.dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${frame.heading} – ${site}</title>
<link rel="stylesheet" href="${assets.stylesheet}">
<link rel="icon" href="${assets.icon}" type="image/svg+xml">
</head>
<body>
<a class="skip-link" href="#content">${ctx.t('web-skip-to-content')}</a>
<header class="site-header">
<a class="site-name" href="${ctx.link('Main_Page')}">${site}</a>
<nav class="personal" aria-label="${ctx.t('web-nav-personal')}"><ul>${personalLinks(ctx)}</ul></nav>
</header>
<main id="content" tabindex="-1">
<h1>${frame.heading}</h1>
${frame.body}
</main>
<footer class="site-footer">${languageLinks(ctx)}</footer>
</body>
</html>
`.value
  );
}
