// Forms: the session-bound token, fields with their labels and errors, the error summary.
import type { Msg } from '../util/errors.js';
import type { PageContext } from './context.js';
import { html, textBlock, type SafeHtml } from './html.js';

export const TOKEN_FIELD = 'wpEditToken';

/** Errors of one form: by field name, and the ones about the whole form under "". */
export type FormErrors = Record<string, string>;

export function messageText(ctx: PageContext, m: Msg): string {
  return ctx.t(m.key, ...m.params);
}

/**
 * Checks a POST before anything else: the token must belong to this session, and the site must be
 * writable (as the API's write modules require). Returns the error for the whole form, or null.
 */
export function guardPost(ctx: PageContext, opts: { writes: boolean }): string | null {
  if (!ctx.session.checkPageToken(ctx.form[TOKEN_FIELD] ?? '')) return ctx.t('web-error-token');
  if (opts.writes && ctx.services.config.readOnly) return ctx.t('web-error-readonly', ctx.services.config.readOnly);
  return null;
}

export interface FieldSpec {
  name: string;
  label: string;
  type: 'text' | 'password' | 'email' | 'checkbox';
  value?: string;
  checked?: boolean;
  autocomplete?: string;
  required?: boolean;
  help?: string;
  error?: string;
  autofocus?: boolean;
}

export function field(f: FieldSpec): SafeHtml {
  const errorId = `${f.name}-error`;
  const helpId = `${f.name}-help`;
  const describedBy = [f.error ? errorId : '', f.help ? helpId : ''].filter(Boolean).join(' ');
  const attrs = html`id="${f.name}" name="${f.name}" type="${f.type}"${f.autocomplete ? html` autocomplete="${f.autocomplete}"` : ''}${
    describedBy ? html` aria-describedby="${describedBy}"` : ''
  }${f.error ? html` aria-invalid="true"` : ''}${f.required ? html` required` : ''}${f.autofocus ? html` autofocus` : ''}`;
  const help = f.help ? html`<p class="help" id="${helpId}">${f.help}</p>` : '';
  const error = f.error ? html`<p class="field-error" id="${errorId}">${f.error}</p>` : '';
  if (f.type === 'checkbox') {
    return html`<div class="field checkbox"><input ${attrs} value="1"${f.checked ? html` checked` : ''}><label for="${f.name}">${f.label}</label>${help}${error}</div>`;
  }
  const value = f.type === 'password' ? '' : (f.value ?? '');
  return html`<div class="field${f.error ? ' has-error' : ''}"><label for="${f.name}">${f.label}</label>${help}${error}<input ${attrs} value="${value}" dir="auto"></div>`;
}

/** The box at the top of a form that failed: announced, and linking to each field in error. */
export function errorSummary(ctx: PageContext, errors: FormErrors, labels: Record<string, string>): SafeHtml | '' {
  const entries = Object.entries(errors);
  if (!entries.length) return '';
  return html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title">
<h2 id="error-summary-title">${ctx.t('web-error-summary-title')}</h2>
<ul>${entries.map(([name, text]) =>
    name && labels[name] ? html`<li><a href="#${name}">${labels[name]}: ${text}</a></li>` : html`<li>${textBlock(text)}</li>`,
  )}</ul></div>`;
}

/** The name of the first field in error, to give it the focus; else the first field. */
export function focusField(errors: FormErrors, order: string[]): string {
  return order.find((n) => errors[n]) ?? order[0]!;
}

export function form(ctx: PageContext, action: string, content: SafeHtml, submit: string): SafeHtml {
  return html`<form method="post" action="${action}" novalidate>
<input type="hidden" name="${TOKEN_FIELD}" value="${ctx.session.pageToken()}">
${content}
<div class="actions"><button type="submit">${submit}</button></div>
</form>`;
}

export function notice(text: string, kind: 'success' | 'info' | 'warning' = 'info'): SafeHtml {
  return html`<div class="notice ${kind}" role="status"><p>${textBlock(text)}</p></div>`;
}
