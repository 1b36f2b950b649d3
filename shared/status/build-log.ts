import { AnsiUp } from 'ansi_up';
import { html, joinHtml, trustedHtml, type SafeHtml } from './html';

/**
 * A build log as HTML for the job page (Spyglass's buildlog lens): one element per line with an
 * anchor, terminal colours kept, everything else a terminal would interpret removed, and long runs
 * of unremarkable output folded so a failure in a 5,000-line log is on screen without scrolling.
 * Pure: text in, HTML out.
 *
 * Markup, for the page's CSS and client script:
 * - each line: `<div class="line" id="L<n>"><a class="ln" href="#L<n>" …>n</a><span class="lc">…</span></div>`,
 *   with `class="line interesting"` on lines matching `INTERESTING_LINE`; lines are numbered from 1
 *   as in the raw log, so `#L<n>` means the same line in both. An empty line has an empty `.lc`, so
 *   give `.line` a min-height. Put the lines in a container with `white-space: pre-wrap` (tabs are kept).
 * - folded runs: `<details class="fold"><summary>Show N lines (L<a>–L<b>)</summary>…lines…</details>`;
 *   the lines stay in the DOM, so a script can open the fold containing `location.hash`.
 * - a truncated log starts with `<div class="skipped">…</div>`.
 * - colours (ansi_up with `use_classes`): `<span class="ansi-<colour>-fg">` and `ansi-<colour>-bg`, where
 *   <colour> is black, red, green, yellow, blue, magenta, cyan, white, or bright-<one of those>
 *   (256-colour indexes 0–15 map to the same classes). Bold, faint, italic and underline, 256-colour
 *   indexes 16–255 and 24-bit colours arrive as inline `style` (font-weight:bold, opacity:0.7,
 *   font-style:italic, text-decoration:underline, color:rgb(…), background-color:rgb(…)): ansi_up
 *   has no classes for them.
 */

/**
 * Lines worth seeing without unfolding anything: errors, failures, panics and the markers test
 * runners print for a failed test (Go's `--- FAIL`, TAP's `not ok`, mocha/vitest/gotestsum's ✖).
 * `TypeError`, `AssertionError`, `NullPointerException` count too, hence no word boundary in front
 * of error/exception.
 */
export const INTERESTING_LINE =
  /(?:error|exception)s?\b|\b(?:fail(?:s|ed|ure|ures|ing)?|panic(?:s|ked)?|fatal|traceback)\b|--- FAIL|✖|\bnot ok\b/i;

export interface BuildLogOptions {
  /** A run of hidden lines shorter than this stays visible: folding 3 lines saves nothing. Default 40. */
  foldMinLines?: number;
  /** Lines kept visible before and after each interesting line. Default 5. */
  contextLines?: number;
  /** The last lines, always visible: where a job says why it ended. Default 30. */
  tailLines?: number;
  /** At most this many lines are rendered, the last ones; the rest are left to the raw log. Default 20000. */
  maxLines?: number;
  /** The raw log's URL, linked from the notice on a truncated log. */
  rawUrl?: string;
}

const DEFAULTS = { foldMinLines: 40, contextLines: 5, tailLines: 30, maxLines: 20_000 };
/** The opening lines say what ran and where; they are always visible. */
const HEAD_LINES = 5;

/** The number of lines `renderBuildLog` numbers: a final newline ends the last line, it does not start one. */
export function countLines(text: string): number {
  return splitLines(text).length;
}

export function renderBuildLog(text: string, options: BuildLogOptions = {}): SafeHtml {
  const foldMinLines = Math.max(1, options.foldMinLines ?? DEFAULTS.foldMinLines);
  const contextLines = Math.max(0, options.contextLines ?? DEFAULTS.contextLines);
  const tailLines = Math.max(0, options.tailLines ?? DEFAULTS.tailLines);
  const maxLines = Math.max(1, options.maxLines ?? DEFAULTS.maxLines);

  const all = splitLines(text);
  const skipped = Math.max(0, all.length - maxLines);
  const lines = skipped > 0 ? all.slice(skipped) : all;
  const renderer = new LineRenderer();
  const parts: SafeHtml[] = [];
  if (skipped > 0) {
    parts.push(skippedNotice(skipped, options.rawUrl));
    // Colours set in the skipped part still apply to what follows.
    renderer.carryStyles(all.slice(0, skipped));
  }

  const shown = lines.map(terminalText);
  const interesting = shown.map(isInteresting);
  const visible = visibleLines(interesting, { contextLines, tailLines });
  const firstNumber = skipped + 1;
  let index = 0;
  while (index < lines.length) {
    let end = index;
    while (end < lines.length && visible[end] === visible[index]) end++;
    const run = shown.slice(index, end).map((line, offset) => renderer.render(firstNumber + index + offset, line, interesting[index + offset] ?? false));
    if (!visible[index] && end - index >= foldMinLines) {
      const from = firstNumber + index;
      const to = firstNumber + end - 1;
      const count = end - index;
      parts.push(html`<details class="fold"><summary>Show ${count} ${count === 1 ? 'line' : 'lines'} (L${from}–L${to})</summary>${run}</details>`);
    } else {
      parts.push(...run);
    }
    index = end;
  }
  return joinHtml(parts);
}

/**
 * Renders a log as it arrives (the live log's server-sent events): the same line markup as
 * `renderBuildLog`, without folding, numbering and colours continuing from chunk to chunk. A line
 * is rendered once its newline has arrived, so an escape sequence or a `\r` redraw split across
 * chunks is whole when it is interpreted. Chunks are text: decode bytes with a streaming
 * `TextDecoder` so a character split across reads survives.
 */
export class LogStreamRenderer {
  private readonly renderer = new LineRenderer();
  private pending = '';
  private next: number;

  constructor(firstLineNumber = 1) {
    this.next = firstLineNumber;
  }

  get nextLineNumber(): number {
    return this.next;
  }

  /** The HTML of every line completed by this chunk. */
  push(chunk: string): SafeHtml {
    this.pending += chunk;
    const lastNewline = this.pending.lastIndexOf('\n');
    if (lastNewline < 0) return html``;
    const complete = this.pending.slice(0, lastNewline);
    this.pending = this.pending.slice(lastNewline + 1);
    return joinHtml(complete.split('\n').map((line) => this.renderLine(line)));
  }

  /** The HTML of the final line when the log did not end with a newline; empty otherwise. */
  flush(): SafeHtml {
    if (this.pending === '') return html``;
    const line = this.pending;
    this.pending = '';
    return this.renderLine(line);
  }

  private renderLine(rawLine: string): SafeHtml {
    const shown = terminalText(rawLine);
    return this.renderer.render(this.next++, shown, isInteresting(shown));
  }
}

/** Which lines are shown unfolded: the head, the tail, and the context of every interesting line. */
function visibleLines(interesting: readonly boolean[], limits: { contextLines: number; tailLines: number }): boolean[] {
  const count = interesting.length;
  const visible = interesting.map((_, index) => index < HEAD_LINES || index >= count - limits.tailLines);
  interesting.forEach((isInteresting, index) => {
    if (!isInteresting) return;
    const last = Math.min(count - 1, index + limits.contextLines);
    for (let near = Math.max(0, index - limits.contextLines); near <= last; near++) visible[near] = true;
  });
  return visible;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function skippedNotice(skipped: number, rawUrl: string | undefined): SafeHtml {
  const where = rawUrl ? html`<a href="${rawUrl}">the raw log</a>` : 'the raw log';
  const noun = skipped === 1 ? 'line' : 'lines';
  return html`<div class="skipped">${skipped} earlier ${noun} not shown here; the full log is at ${where}.</div>`;
}

/** One ansi_up per log: it keeps the colour state, which runs on from line to line as in a terminal. */
class LineRenderer {
  private readonly ansi = new AnsiUp();

  constructor() {
    this.ansi.use_classes = true;
    this.ansi.escape_html = true;
  }

  /** `shown` is a line after `terminalText`: text and colour sequences only. */
  render(number: number, shown: string, interesting: boolean): SafeHtml {
    // ansi_up escapes the text itself (escape_html above); what it adds is its own colour spans.
    const content = trustedHtml(this.ansi.ansi_to_html(shown));
    const className = interesting ? 'line interesting' : 'line';
    return html`<div class="${className}" id="L${number}"><a class="ln" href="#L${number}" aria-hidden="true" tabindex="-1">${number}</a><span class="lc">${content}</span></div>`;
  }

  /** Applies the colour changes in lines that are not rendered, so the first rendered line starts in the right colours. */
  carryStyles(lines: readonly string[]): void {
    const sgr = lines.flatMap((line) => line.match(SGR_GLOBAL) ?? []).join('');
    this.ansi.ansi_to_html(sgr);
  }
}

/*
 * A terminal escape sequence, complete or cut off by the end of the line: CSI (ESC [ … final byte),
 * OSC (ESC ] … BEL or ST, e.g. window titles and hyperlinks), DCS/SOS/PM/APC strings, and the
 * two- and three-byte escapes (charset selection, keypad modes). A lone ESC matches too.
 */
// eslint-disable-next-line no-control-regex -- matching terminal control characters is the point
const ESCAPE = /\x1b(?:\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[\x20-\x2f]*[\x30-\x7e])?/g;
/** Select Graphic Rendition (colours, bold, …): the only sequences kept, for ansi_up. */
// eslint-disable-next-line no-control-regex -- as above
const SGR = /^\x1b\[[\d;]*m$/;
// eslint-disable-next-line no-control-regex -- as above
const SGR_GLOBAL = /\x1b\[[\d;]*m/g;
/** C0 and C1 controls other than tab: bells, backspaces and the like print nothing useful in a page. */
// eslint-disable-next-line no-control-regex -- as above
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

/**
 * What a terminal would leave on screen for one line, keeping colour sequences: a `\r` redraw
 * (progress bars) keeps the text after the last `\r`, though the colours set before it still
 * count; cursor movement, titles and other sequences are dropped. A `\r` at the end of the line is
 * a CRLF line ending, not a redraw.
 */
function terminalText(rawLine: string): string {
  const segments = rawLine.replace(/\r+$/, '').split('\r');
  const shown = segments.pop() ?? '';
  const earlierStyles = segments.flatMap((segment) => segment.match(SGR_GLOBAL) ?? []).join('');
  return earlierStyles + keepOnlySgr(shown);
}

function keepOnlySgr(text: string): string {
  let result = '';
  let last = 0;
  for (const match of text.matchAll(ESCAPE)) {
    result += text.slice(last, match.index).replace(CONTROL, '');
    if (SGR.test(match[0])) result += match[0];
    last = match.index + match[0].length;
  }
  return result + text.slice(last).replace(CONTROL, '');
}

/** Matched against what a reader sees, so a colour code cannot split or fake a word. */
function isInteresting(shown: string): boolean {
  return INTERESTING_LINE.test(shown.replace(SGR_GLOBAL, ''));
}
