/**
 * The status pages' one way to write HTML: the `html` tagged template escapes every interpolated
 * value unless it is `SafeHtml` — what an `html` template (or `joinHtml`) produced — so a job name,
 * a log line or a config value can never become markup, and a nested template is not escaped twice.
 *
 * Hand-written because the output must stay byte for byte what the pages rendered before (numeric
 * character references such as `&#60;`, which tests and cached pages compare): the libraries that
 * do this (@remix-run/html-template, html-template-tag, hono/html) write named entities (`&lt;`),
 * and the one of them with a branded safe type is a pre-1.0 release.
 */

/** Held only by this module, so no other code can make a SafeHtml out of arbitrary text. */
const MINT: unique symbol = Symbol('SafeHtml');

/** HTML that is safe to send as it is: built only by `html`, `joinHtml` or `trustedHtml`. */
export class SafeHtml {
  readonly #text: string;

  constructor(mint: typeof MINT, text: string) {
    if (mint !== MINT) throw new TypeError('SafeHtml is made by html`…`, not constructed');
    this.#text = text;
  }

  toString(): string {
    return this.#text;
  }
}

/** What may be interpolated: text and numbers are escaped; absent values render as nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

/** `&`, `<`, `>`, `"` and `'` as numeric references: safe in text and in quoted attribute values. */
export function escapeHtml(text: string): string {
  // Most values (names, IDs, states) have nothing to escape: skip the replace for them.
  return SPECIAL.test(text) ? text.replace(SPECIALS, (char) => `&#${char.charCodeAt(0)};`) : text;
}

const SPECIAL = /[&<>"']/;
const SPECIALS = /[&<>"']/g;

/** Ordered by how often each kind is interpolated: a page renders thousands of values. */
function render(value: HtmlValue): string {
  if (typeof value === 'string') return escapeHtml(value);
  if (value instanceof SafeHtml) return value.toString();
  if (typeof value === 'number') return String(value);
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return String(value);
  let text = '';
  for (const item of value) text += render(item);
  return text;
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let text = strings[0] ?? '';
  for (let index = 0; index < values.length; index++) text += render(values[index]) + (strings[index + 1] ?? '');
  return new SafeHtml(MINT, text);
}

export function joinHtml(parts: readonly HtmlValue[], separator: SafeHtml = html``): SafeHtml {
  return new SafeHtml(MINT, parts.map(render).join(separator.toString()));
}

/**
 * Markup from a renderer that escapes by itself (ansi_up with `escape_html`). The one way around
 * `html`; each call names the renderer it trusts.
 */
export function trustedHtml(markup: string): SafeHtml {
  return new SafeHtml(MINT, markup);
}
