import { html, type SafeHtml } from '../html';
import type { Lens, LensFile } from './lens';

/**
 * Go coverage profiles (`go test -coverprofile`: a `mode:` line, then one line per block,
 * `file:startLine.startCol,endLine.endCol statements count`) as the share of statements each file
 * ran, and the total — what Prow's coverage lens summarises.
 */

export interface FileCoverage {
  file: string;
  statements: number;
  covered: number;
}

export interface CoverageSummary {
  mode: string | undefined;
  files: FileCoverage[];
  statements: number;
  covered: number;
  /** Lines that are not a block, for a note under the table. */
  badLines: number;
}

const REPORT = /\.html?$/i;
const BLOCK = /^(.+):(\d+)\.(\d+),(\d+)\.(\d+) (\d+) (\d+)$/;

export function parseCoverProfile(text: string): CoverageSummary {
  let mode: string | undefined;
  let badLines = 0;
  // A block can appear once per test binary when profiles are concatenated: count it once, covered if any run hit it.
  const blocks = new Map<string, { file: string; statements: number; hit: boolean }>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('mode:')) {
      mode ??= line.slice('mode:'.length).trim();
      continue;
    }
    const match = BLOCK.exec(line);
    if (!match) {
      badLines++;
      continue;
    }
    const [, file = '', startLine, startCol, endLine, endCol, statements = '0', count = '0'] = match;
    const key = `${file}:${startLine}.${startCol},${endLine}.${endCol}`;
    const existing = blocks.get(key);
    const hit = Number(count) > 0;
    if (existing) existing.hit ||= hit;
    else blocks.set(key, { file, statements: Number(statements), hit });
  }
  const byFile = new Map<string, FileCoverage>();
  for (const block of blocks.values()) {
    let entry = byFile.get(block.file);
    if (!entry) byFile.set(block.file, (entry = { file: block.file, statements: 0, covered: 0 }));
    entry.statements += block.statements;
    if (block.hit) entry.covered += block.statements;
  }
  const files = [...byFile.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return {
    mode,
    files,
    statements: files.reduce((sum, file) => sum + file.statements, 0),
    covered: files.reduce((sum, file) => sum + file.covered, 0),
    badLines,
  };
}

export function percent(covered: number, statements: number): string {
  return statements === 0 ? '—' : `${((covered / statements) * 100).toFixed(1)}%`;
}

/** Past this many files the table starts folded, so the page does not become the table. */
const OPEN_TABLE_FILES = 50;

function profileSection(file: LensFile): SafeHtml {
  if (file.content === undefined) return html`<h3>${file.path}</h3><p class="muted">Could not read it: ${file.problem ?? 'not read'}</p>`;
  const summary = parseCoverProfile(file.content);
  if (summary.files.length === 0) return html`<h3>${file.path}</h3><p class="muted">No coverage blocks in this file.</p>`;
  const rows = summary.files.map(
    (entry) => html`<tr><td class="commit">${entry.file}</td><td>${entry.covered} / ${entry.statements}</td><td><meter min="0" max="${entry.statements}" value="${entry.covered}"></meter> ${percent(entry.covered, entry.statements)}</td></tr>`,
  );
  return html`<h3>${file.path}</h3><p class="coverage-total">Total: <strong>${percent(summary.covered, summary.statements)}</strong> of ${summary.statements} statements in ${summary.files.length} files${summary.mode ? html` <span class="muted">(mode: ${summary.mode})</span>` : ''}</p>
<details${summary.files.length <= OPEN_TABLE_FILES ? html` open` : ''}><summary>Per file</summary><div class="table-wrap"><table><thead><tr><th scope="col">File</th><th scope="col">Statements covered</th><th scope="col">Coverage</th></tr></thead><tbody>${rows}</tbody></table></div></details>${summary.badLines > 0 ? html`<p class="muted">${summary.badLines} lines were not coverage blocks and were skipped.</p>` : ''}`;
}

export const coverageLens: Lens = {
  name: 'coverage',
  title: 'Coverage',
  defaultFiles: { required: ['^artifacts/(?:.*/)?(?:coverage\\.out|[^/]*\\.cov)$'], optional: ['^artifacts/(?:.*/)?(?:coverage|filtered)\\.html$'] },
  // Prow's usual entry adds the HTML report beside the profile as an optional file: link to it.
  read: { maxBytes: 20 * 1024 * 1024, maxFiles: 5, which: (path) => !REPORT.test(path) },
  render({ files }) {
    const profiles = files.filter((file) => !REPORT.test(file.path));
    const reports = files.filter((file) => REPORT.test(file.path));
    if (profiles.length === 0) return undefined;
    return html`${profiles.map(profileSection)}${reports.map((file) => html`<p><a href="${file.href}">${file.path}</a> (full report)</p>`)}`;
  },
};
