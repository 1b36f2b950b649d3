import { describe, expect, it } from 'vitest';
import { countLines, INTERESTING_LINE, LogStreamRenderer as HtmlLogStreamRenderer, renderBuildLog as renderBuildLogHtml } from '../../../shared/status/build-log';

/** The job page's build log: line anchors, colours, escaping, folding and live streaming. */

const ESC = '\x1b';

/** The renderers' HTML as text, to search. */
function renderBuildLog(...args: Parameters<typeof renderBuildLogHtml>): string {
  return String(renderBuildLogHtml(...args));
}

class LogStreamRenderer {
  private readonly renderer: HtmlLogStreamRenderer;

  constructor(firstLineNumber?: number) {
    this.renderer = new HtmlLogStreamRenderer(firstLineNumber);
  }

  get nextLineNumber(): number {
    return this.renderer.nextLineNumber;
  }

  push(chunk: string): string {
    return String(this.renderer.push(chunk));
  }

  flush(): string {
    return String(this.renderer.flush());
  }
}

/** `go test -v` output for `count` passing tests, one line each for RUN, a log line and PASS. */
function goTestLines(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `TestWidget_${String(i).padStart(4, '0')}`;
    return [`=== RUN   ${name}`, `    widget_test.go:12: created widget ${i}`, `--- PASS: ${name} (0.00s)`];
  }).flat();
}

/** Line numbers inside folds, and line numbers anywhere, as a reader's DOM would have them. */
function lineIds(html: string): number[] {
  return [...html.matchAll(/<div class="line[^"]*" id="L(\d+)">/g)].map((match) => Number(match[1]));
}

function foldedLines(html: string): number[] {
  return [...html.matchAll(/<details class="fold">.*?<\/details>/gs)].flatMap((fold) => lineIds(fold[0]));
}

function lineHtml(html: string, n: number): string {
  const match = new RegExp(`<div class="line[^"]*" id="L${n}">.*?</div>`).exec(html);
  if (!match) throw new Error(`no line L${n} in the output`);
  return match[0];
}

/** What a reader sees on line n: the content with tags removed and entities decoded. */
function lineText(html: string, n: number): string {
  const content = /<span class="lc">(.*)<\/span><\/div>$/.exec(lineHtml(html, n))?.[1] ?? '';
  return content
    .replace(/<[^>]*>/g, '')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCharCode(Number.parseInt(code, 16)))
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&');
}

describe('lines and anchors', () => {
  it('numbers every line from 1 with an id and a link to itself', () => {
    const html = renderBuildLog('first\nsecond\n\nfourth\n');
    expect(lineIds(html)).toEqual([1, 2, 3, 4]);
    expect(lineHtml(html, 2)).toContain('<a class="ln" href="#L2"');
    expect(lineText(html, 2)).toBe('second');
    expect(lineText(html, 3)).toBe('');
    expect(countLines('first\nsecond\n\nfourth\n')).toBe(4);
  });

  it('counts a final line without a newline, and no line for an empty log', () => {
    expect(countLines('a\nb')).toBe(2);
    expect(countLines('a\n')).toBe(1);
    expect(countLines('')).toBe(0);
    expect(renderBuildLog('')).toBe('');
  });

  it('shows HTML in the log as text', () => {
    const html = renderBuildLog('<script>alert(1)</script>\n<img src=x onerror="alert(2)">\n');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(lineText(html, 1)).toBe('<script>alert(1)</script>');
    expect(lineText(html, 2)).toBe('<img src=x onerror="alert(2)">');
  });
});

describe('terminal output', () => {
  // Vitest's reporter, as `npm test` prints it in a CI log (colours forced on).
  const vitestOutput = [
    ` ${ESC}[32m✓${ESC}[39m test/unit/widgets.test.ts ${ESC}[2m(${ESC}[22m${ESC}[2m12 tests${ESC}[22m${ESC}[2m)${ESC}[22m${ESC}[90m 41${ESC}[2mms${ESC}[22m${ESC}[39m`,
    ` ${ESC}[31m❯${ESC}[39m test/unit/gears.test.ts ${ESC}[2m(${ESC}[22m${ESC}[2m3 tests${ESC}[22m${ESC}[2m | ${ESC}[22m${ESC}[31m1 failed${ESC}[39m${ESC}[2m)${ESC}[22m`,
    `${ESC}[31m${ESC}[1mAssertionError${ESC}[22m: expected 3 to be 4 // Object.is equality${ESC}[39m`,
  ].join('\n');

  it('turns colours into ansi_up classes and leaves no escape characters', () => {
    const html = renderBuildLog(vitestOutput);
    expect(html).not.toContain(ESC);
    expect(html).not.toMatch(/\[\d+m/);
    expect(lineHtml(html, 1)).toContain('<span class="ansi-green-fg">✓</span>');
    expect(lineHtml(html, 1)).toContain('class="ansi-bright-black-fg"');
    expect(lineHtml(html, 2)).toContain('<span class="ansi-red-fg">1 failed</span>');
    expect(lineHtml(html, 3)).toMatch(/<span style="font-weight:bold" class="ansi-red-fg">AssertionError<\/span>/);
    expect(lineText(html, 3)).toBe('AssertionError: expected 3 to be 4 // Object.is equality');
  });

  it('carries a colour from one line to the next until it is reset', () => {
    const html = renderBuildLog(`${ESC}[33mwarning: deprecated flag\nstill yellow${ESC}[0m\nplain\n`);
    expect(lineHtml(html, 2)).toContain('<span class="ansi-yellow-fg">still yellow</span>');
    expect(lineHtml(html, 3)).toContain('<span class="lc">plain</span>');
  });

  it('keeps what a terminal would show after cursor moves, erases and \\r progress redraws', () => {
    const log = [
      // npm's spinner: hide the cursor, go to column 1, erase the line, set the title.
      `${ESC}[?25l${ESC}[1G${ESC}[0K⠙${ESC}[1G${ESC}[0K${ESC}]0;npm test${ESC}\\added 312 packages`,
      // curl/pip-style progress redrawn in place, with a colour set before the last redraw.
      `Downloading  10%\rDownloading  55%\r${ESC}[32mDownloading 100%${ESC}[39m`,
      // A CRLF line ending is not a redraw.
      'windows line\r',
      // A bell and a backspace print nothing; a tab stays.
      `done\x07\b\tok`,
      // A sequence cut off by the end of the line.
      `truncated ${ESC}[3`,
    ].join('\n');
    const html = renderBuildLog(log);
    expect(html).not.toContain(ESC);
    expect(lineText(html, 1)).toBe('⠙added 312 packages');
    expect(lineText(html, 2)).toBe('Downloading 100%');
    expect(lineHtml(html, 2)).toContain('<span class="ansi-green-fg">Downloading 100%</span>');
    expect(lineText(html, 3)).toBe('windows line');
    expect(lineText(html, 4)).toBe('done\tok');
    expect(lineText(html, 5)).toBe('truncated ');
  });

  it('keeps the colour a redrawn part of a line set', () => {
    const html = renderBuildLog(`${ESC}[31mold text\rnew text\n`);
    expect(lineHtml(html, 1)).toContain('<span class="ansi-red-fg">new text</span>');
    expect(lineText(html, 1)).toBe('new text');
  });
});

describe('what counts as interesting', () => {
  it.each([
    '--- FAIL: TestDivide (0.00s)',
    'panic: runtime error: index out of range [3] with length 3',
    'E   AssertionError: assert 0 == 1',
    'Traceback (most recent call last):',
    'Exception in thread "main" java.lang.NullPointerException',
    'not ok 3 - widgets are round',
    '  ✖ 1 test failed',
    'FATAL: could not connect to the database',
    'make: *** [Makefile:12: test] Error 2',
  ])('marks %j', (line) => {
    expect(INTERESTING_LINE.test(line)).toBe(true);
    expect(renderBuildLog(`${line}\n`)).toContain('class="line interesting"');
  });

  it.each(['=== RUN   TestErrorHandling', '--- PASS: TestFailover (0.01s)', 'ok  \tgithub.com/acme/widgets\t0.012s', 'Compiling errorf.go'])(
    'does not mark %j',
    (line) => {
      expect(INTERESTING_LINE.test(line)).toBe(false);
    },
  );
});

describe('folding', () => {
  // 5,001 lines of passing `go test -v` output with one failure at line 2,500.
  const lines = goTestLines(1667).slice(0, 5000);
  const FAILURE_LINE = 2500;
  lines.splice(FAILURE_LINE - 1, 0, '    widget_test.go:40: Divide(1, 0) = 0, want error');
  const log = `${lines.join('\n')}\n`;
  const html = renderBuildLog(log);
  const folded = new Set(foldedLines(html));

  it('keeps every line in the DOM, each with its anchor, in order', () => {
    expect(countLines(log)).toBe(5001);
    expect(lineIds(html)).toEqual(Array.from({ length: 5001 }, (_, i) => i + 1));
  });

  it('shows the failure with five lines either side, the first five lines and the last thirty', () => {
    for (let n = FAILURE_LINE - 5; n <= FAILURE_LINE + 5; n++) expect(folded.has(n), `L${n}`).toBe(false);
    for (let n = 1; n <= 5; n++) expect(folded.has(n), `L${n}`).toBe(false);
    for (let n = 5001 - 29; n <= 5001; n++) expect(folded.has(n), `L${n}`).toBe(false);
    expect(lineHtml(html, FAILURE_LINE)).toContain('class="line interesting"');
  });

  it('folds the passing output between them, saying how much and where', () => {
    expect(folded.has(6)).toBe(true);
    expect(folded.has(FAILURE_LINE - 6)).toBe(true);
    expect(folded.has(FAILURE_LINE + 6)).toBe(true);
    expect(folded.has(5001 - 30)).toBe(true);
    expect(folded.size).toBe(5001 - 5 - 11 - 30);
    const summaries = [...html.matchAll(/<summary>(.*?)<\/summary>/g)].map((match) => match[1]);
    expect(summaries).toEqual([`Show 2489 lines (L6–L2494)`, `Show 2466 lines (L2506–L4971)`]);
  });

  it('leaves runs shorter than foldMinLines unfolded', () => {
    const short = [...goTestLines(20).slice(0, 60)];
    short[29] = '--- FAIL: TestWidget_0009 (0.00s)';
    // Hidden candidates: lines 6–24 (19 lines) and none after the failure's context, which meets the tail.
    expect(renderBuildLog(short.join('\n'))).not.toContain('<details');
    expect(foldedLines(renderBuildLog(short.join('\n'), { foldMinLines: 10 }))).toEqual(Array.from({ length: 19 }, (_, i) => i + 6));
  });

  it('follows the context and tail options', () => {
    const custom = renderBuildLog(log, { contextLines: 0, tailLines: 0 });
    const summaries = [...custom.matchAll(/<summary>(.*?)<\/summary>/g)].map((match) => match[1]);
    expect(summaries).toEqual([`Show 2494 lines (L6–L2499)`, `Show 2501 lines (L2501–L5001)`]);
  });
});

describe('very long logs', () => {
  const log = Array.from({ length: 1000 }, (_, i) => `line ${i + 1}`).join('\n');

  it('renders the last maxLines lines, numbered as in the raw log, after a notice linking the raw log', () => {
    const html = renderBuildLog(log, { maxLines: 100, rawUrl: '/log?job=unit&id=17"><script>' });
    expect(html.startsWith('<div class="skipped">900 earlier lines not shown here; the full log is at <a href="/log?job=unit&#38;id=17&#34;&#62;&#60;script&#62;">the raw log</a>.</div>')).toBe(true);
    expect(lineIds(html)).toEqual(Array.from({ length: 100 }, (_, i) => i + 901));
    expect(lineText(html, 901)).toBe('line 901');
  });

  it('keeps a colour set in the lines it skips', () => {
    const html = renderBuildLog(`${ESC}[36mcyan from here\n${log}`, { maxLines: 10 });
    expect(lineHtml(html, 992)).toContain('<span class="ansi-cyan-fg">line 991</span>');
  });

  it('does not truncate at or under the limit', () => {
    expect(renderBuildLog(log, { maxLines: 1000 })).not.toContain('class="skipped"');
  });
});

describe('LogStreamRenderer', () => {
  it('renders the same lines as the whole log, however the chunks split lines and escape sequences', () => {
    const log = `${ESC}[31mred text${ESC}[0m\nplain <b>\n${ESC}[1mbold\nprogress 10%\rprogress 100%\r\n--- FAIL: TestX (0.00s)\nlast, no newline`;
    const whole = renderBuildLog(log);
    const stream = new LogStreamRenderer();
    const chunks = [`${ESC}[3`, '1mred te', `xt${ESC}[0m\npla`, 'in <b>\n', ESC, '[1mbold\nprogress 10%\r', 'progress 100%\r', '\n--- FAIL: TestX (0.00s)\nlast, no', ' newline'];
    const streamed = chunks.map((chunk) => stream.push(chunk)).join('') + stream.flush();
    expect(streamed).toBe(whole);
    expect(stream.nextLineNumber).toBe(7);
  });

  it('holds a partial line until its newline arrives', () => {
    const stream = new LogStreamRenderer();
    expect(stream.push('Step 1/4 : FROM golang')).toBe('');
    expect(stream.nextLineNumber).toBe(1);
    const html = stream.push(':1.23\nStep 2/4');
    expect(lineIds(html)).toEqual([1]);
    expect(lineText(html, 1)).toBe('Step 1/4 : FROM golang:1.23');
    expect(lineIds(stream.flush())).toEqual([2]);
    expect(stream.flush()).toBe('');
  });

  it('continues numbering and colours from where the page left off', () => {
    const stream = new LogStreamRenderer(4821);
    const html = stream.push(`${ESC}[32mok\nstill green\n`);
    expect(lineIds(html)).toEqual([4821, 4822]);
    expect(lineHtml(html, 4822)).toContain('<span class="ansi-green-fg">still green</span>');
    expect(stream.nextLineNumber).toBe(4823);
  });
});
