import { html } from '../html';
import type { Lens } from './lens';

/**
 * HTML reports a job saved (coverage reports, benchmark pages), each in an iframe. The report is
 * someone else's markup, so it is fenced twice: the iframe's empty `sandbox` attribute gives it a
 * unique origin with no scripts, forms or popups, and the artifact route serves it with
 * `Content-Security-Policy: sandbox` and no script source, so it is just as inert when opened
 * directly. Nothing of the report is put into this page but its title, escaped.
 */

export const HTML_FILE = /\.html?$/i;

/** The `<title>`, to head the report; reports often have only a file name like index.html. */
export function reportTitle(content: string | undefined): string | undefined {
  const match = /<title[^>]*>([^<]*)<\/title\s*>/i.exec(content ?? '');
  const text = match?.[1]
    ?.replace(/&(lt|gt|quot|#39|apos|amp);/g, (_, entity: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", amp: '&' })[entity] ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  return text || undefined;
}

export const htmlLens: Lens = {
  name: 'html',
  title: 'HTML reports',
  defaultFiles: { required: ['^artifacts/.*\\.html?$'] },
  // Only the head is needed for the title; the iframe loads the whole file itself.
  read: { maxBytes: 64 * 1024, maxFiles: 20 },
  render({ files }) {
    const reports = files.filter((file) => HTML_FILE.test(file.path));
    if (reports.length === 0) return undefined;
    return html`${reports.map((file, index) => {
      const title = reportTitle(file.content);
      return html`<details class="html-report"${index === 0 ? html` open` : ''}><summary>${title ?? file.path}${title ? html` <span class="muted">${file.path}</span>` : ''} · <a href="${file.href}">open</a></summary><iframe sandbox src="${file.href}" title="${title ?? file.path}" loading="lazy" referrerpolicy="no-referrer"></iframe></details>`;
    })}`;
  },
};
