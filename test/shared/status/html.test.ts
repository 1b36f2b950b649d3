import { describe, expect, it } from 'vitest';
import { escapeHtml, html, joinHtml, SafeHtml, trustedHtml } from '../../../shared/status/html';

/** The one way the status pages write HTML: what a hostile job name or log line becomes. */

const HOSTILE = `<script>alert("x")</script> & 'quoted'`;

describe('html``', () => {
  it('escapes an interpolated value in text, so a job name cannot open a tag', () => {
    const rendered = String(html`<h1>${HOSTILE}</h1>`);
    expect(rendered).toBe('<h1>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;quoted&#39;</h1>');
    expect(rendered).not.toContain('<script');
  });

  it('escapes an interpolated value in an attribute, so it cannot close the quotes', () => {
    const rendered = String(html`<a href="${'/x" onclick="steal()'}" title='${"it's"}'>link</a>`);
    expect(rendered).toBe('<a href="/x&#34; onclick=&#34;steal()" title=\'it&#39;s\'>link</a>');
  });

  it('keeps a nested template as markup, escaped once', () => {
    const inner = html`<b>${HOSTILE}</b>`;
    const outer = String(html`<p>${inner}</p>`);
    expect(outer).toBe(`<p>${String(inner)}</p>`);
    expect(outer).toContain('&#38; ');
    expect(outer).not.toContain('&#38;#');
  });

  it('renders lists item by item, numbers and booleans as text, and absent values as nothing', () => {
    const items = ['a<', html`<i>b</i>`];
    expect(String(html`${items}|${3}|${false}|${undefined}|${null}`)).toBe('a&#60;<i>b</i>|3|false||');
  });

  it('joins parts with a separator that is itself markup', () => {
    expect(String(joinHtml(['<a>', html`<b>`], html`<br>`))).toBe('&#60;a&#62;<br><b>');
  });

  it('passes markup through only where a renderer is trusted by name', () => {
    expect(String(trustedHtml('<span class="ansi-red-fg">x</span>'))).toBe('<span class="ansi-red-fg">x</span>');
  });

  it('cannot be forged: SafeHtml is made by the template, not constructed', () => {
    const forge = SafeHtml as unknown as new (mint: symbol, text: string) => SafeHtml;
    expect(() => new forge(Symbol('SafeHtml'), '<script>')).toThrow(TypeError);
  });

  it('has one escaping rule, numeric references for the five special characters', () => {
    expect(escapeHtml(`&<>"'x`)).toBe('&#38;&#60;&#62;&#34;&#39;x');
  });
});
