import { html, type SafeHtml } from './html';

/**
 * Formatting the status pages and the Spyglass lenses share (pages/layout.ts re-exports it), kept
 * apart from the page frame so lenses need not import the pages.
 */

/** "42s", "3m07s", "1h02m". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** A timestamp a script can turn into the reader's local time; UTC text until it does. */
export function timeElement(iso: string | undefined): SafeHtml {
  if (!iso) return html``;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return html`${iso}`;
  const text = new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return html`<time datetime="${new Date(ms).toISOString()}">${text}</time>`;
}

/** Only http(s) links from a job's refs become hrefs: a `javascript:` URL in a ProwJob must not. */
export function safeHref(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : undefined;
  } catch {
    return undefined;
  }
}
