import { html } from '../html';
import { safeHref } from '../format';
import { formatBytes } from '../run-artifacts';
import type { Lens } from './lens';

/**
 * Every file the lens is given, with its size and a link to the artifact route (which shows text
 * as text and serves everything else under a sandbox). Files named `*.link.txt` hold one URL each,
 * as Prow's links lens reads them; those are listed first as debugging links, http(s) only.
 */

const LINK_FILE = /\.link\.txt$/;

/** `artifacts/grafana-dashboard.link.txt` → "Grafana dashboard". */
function linkName(path: string): string {
  const base = (path.split('/').at(-1) ?? path).replace(LINK_FILE, '');
  const words = base.split('-').join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const linksLens: Lens = {
  name: 'links',
  title: 'Artifacts',
  defaultFiles: { required: ['.'] },
  read: { maxBytes: 20 * 1024, maxFiles: 50, which: (path) => LINK_FILE.test(path) },
  render({ files }) {
    const links = files
      // Only link files that were read (or tried): unread ones are plain files in the list below.
      .filter((file) => LINK_FILE.test(file.path) && (file.content !== undefined || file.problem !== undefined))
      .map((file) => ({ file, url: file.content?.trim() }))
      .map(({ file, url }) => {
        const href = safeHref(url);
        return html`<li>${href ? html`<a href="${href}" rel="noopener noreferrer">${linkName(file.path)}</a>` : html`${linkName(file.path)} <span class="muted">${url ? 'not an http(s) link' : (file.problem ?? 'empty')}</span>`}</li>`;
      });
    const rows = files.map((file) => html`<li><a href="${file.href}">${file.path}</a> <span class="muted">${formatBytes(file.size)}</span></li>`);
    return html`${links.length > 0 ? html`<h3>Debugging links</h3><ul>${links}</ul>` : ''}${rows.length > 0 ? html`<ul class="artifact-list">${rows}</ul>` : html`<p class="muted">No artifacts stored yet.</p>`}`;
  },
};
