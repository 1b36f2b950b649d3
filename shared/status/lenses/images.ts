import { html } from '../html';
import { formatBytes } from '../run-artifacts';
import type { Lens } from './lens';

/**
 * Screenshots and charts a job saved, shown as a gallery. Each is an `<img>` of the artifact
 * route, which serves images with their own content type, `nosniff`, and (for SVG) a sandboxing
 * policy: an image element never runs a file's script, and opening an SVG on its own cannot either.
 */

export const IMAGE_FILE = /\.(?:png|jpe?g|gif|svg)$/i;

/** Images shown inline; the rest of a large set stays a list of links, so the page stays light. */
const MAX_INLINE = 24;

export const imagesLens: Lens = {
  name: 'images',
  title: 'Images',
  defaultFiles: { required: ['^artifacts/.*\\.(?:png|jpe?g|gif|svg|PNG|JPE?G|GIF|SVG)$'] },
  render({ files }) {
    const images = files.filter((file) => IMAGE_FILE.test(file.path));
    if (images.length === 0) return undefined;
    const shown = images.slice(0, MAX_INLINE);
    const rest = images.slice(MAX_INLINE);
    return html`<div class="gallery">${shown.map(
      (file) => html`<figure><a href="${file.href}"><img src="${file.href}" alt="${file.path}" loading="lazy"></a><figcaption>${file.path} <span class="muted">${formatBytes(file.size)}</span></figcaption></figure>`,
    )}</div>${rest.length > 0 ? html`<p class="muted">${rest.length} more:</p><ul>${rest.map((file) => html`<li><a href="${file.href}">${file.path}</a></li>`)}</ul>` : ''}`;
  },
};
