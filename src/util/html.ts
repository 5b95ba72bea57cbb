// HTML escaping, in the two forms HTML needs. Every HTML the server writes (pages, the HTML part of mail,
// the help page, paraminfo's and errorformat=html's texts, the printers' HTML forms) escapes with these.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe anywhere in HTML: in an element and in a quoted attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Text made safe as an element's content only; quotes stay as they are (jsonfm's JSON stays readable). */
export function escapeText(s: string): string {
  return s.replace(/[&<>]/g, (c) => ENTITIES[c]!);
}
