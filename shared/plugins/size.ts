import { z } from 'zod';
import { pluginSection, type SectionReport } from '../config/plugin-section';
import type { PullRequestFile } from '../github/client';
import type { RepositoryHandle } from './handles';
import { definePlugin } from './plugin';

/**
 * Prow's size plugin (pkg/plugins/size): a PR's size label follows the number of lines it changes
 * (additions plus deletions), leaving out generated files — those `.generated_files` names and
 * those `.gitattributes` marks `linguist-generated=true`, both read at the PR's base commit.
 */

export const SIZE_LABEL_PREFIX = 'size/';

export interface SizeThresholds {
  s: number;
  m: number;
  l: number;
  xl: number;
  xxl: number;
}

export const DEFAULT_SIZE_THRESHOLDS: SizeThresholds = { s: 10, m: 30, l: 100, xl: 500, xxl: 1000 };

// ---- plugins.yaml `size:` ----

/** Lower bounds in lines changed; XS starts at zero. */
export const SizeSettingsSchema = z.object({
  s: z.number().int().optional(),
  m: z.number().int().optional(),
  l: z.number().int().optional(),
  xl: z.number().int().optional(),
  xxl: z.number().int().optional(),
});
export type SizeSettings = z.infer<typeof SizeSettingsSchema>;

const SIZE_ORDER = ['s', 'm', 'l', 'xl', 'xxl'] as const;

function checkSizes(size: SizeSettings, report: SectionReport): void {
  // Go reads an omitted threshold as zero, which breaks the order as surely as a wrong number.
  for (let index = 1; index < SIZE_ORDER.length; index++) {
    const smaller = SIZE_ORDER[index - 1]!;
    const larger = SIZE_ORDER[index]!;
    const smallerValue = size[smaller] ?? 0;
    const largerValue = size[larger] ?? 0;
    if (smallerValue <= largerValue) continue;
    const shown = size[larger] === undefined ? '0 when omitted' : String(largerValue);
    report(
      size[larger] === undefined ? [] : [larger],
      `${larger} (${shown}) is smaller than ${smaller} (${smallerValue}); thresholds must not decrease from s to xxl`,
    );
  }
}

export const sizeSection = pluginSection('size', SizeSettingsSchema, checkSizes);

/** Each threshold is the smallest line count of its size; one left out (or zero) takes Prow's default. */
export function sizeThresholds(settings: SizeSettings | undefined): SizeThresholds {
  const pick = (value: number | undefined, fallback: number) => (value ? value : fallback);
  return {
    s: pick(settings?.s, DEFAULT_SIZE_THRESHOLDS.s),
    m: pick(settings?.m, DEFAULT_SIZE_THRESHOLDS.m),
    l: pick(settings?.l, DEFAULT_SIZE_THRESHOLDS.l),
    xl: pick(settings?.xl, DEFAULT_SIZE_THRESHOLDS.xl),
    xxl: pick(settings?.xxl, DEFAULT_SIZE_THRESHOLDS.xxl),
  };
}

export function sizeLabelFor(changedLines: number, thresholds: SizeThresholds): string {
  if (changedLines < thresholds.s) return 'size/XS';
  if (changedLines < thresholds.m) return 'size/S';
  if (changedLines < thresholds.l) return 'size/M';
  if (changedLines < thresholds.xl) return 'size/L';
  if (changedLines < thresholds.xxl) return 'size/XL';
  return 'size/XXL';
}

/** Every other size label goes; the right one is added unless it is there already. */
export function sizeLabelChanges(current: readonly string[], wanted: string): { add?: string; remove: string[] } {
  const remove = current.filter((name) => name !== wanted && name.startsWith(SIZE_LABEL_PREFIX));
  return current.includes(wanted) ? { remove } : { add: wanted, remove };
}

export function countChangedLines(files: readonly PullRequestFile[], isGenerated: (path: string) => boolean): number {
  return files
    .filter((file) => !isGenerated(file.filename))
    .reduce((total, file) => total + file.additions + file.deletions, 0);
}

// ---- .generated_files ----

/** Prow's `.generated_files`: lines of "<kind> <value>", `#` comments and blank lines ignored. */
export interface GeneratedFiles {
  paths: Set<string>;
  pathPrefixes: string[];
  fileNames: Set<string>;
  filePrefixes: string[];
  /** Files in the repository listing more generated paths, one per line. */
  pathListFiles: string[];
}

export class GeneratedFilesSyntaxError extends Error {
  constructor(readonly line: string) {
    super(`.generated_files: cannot read the line ${JSON.stringify(line)}`);
    this.name = 'GeneratedFilesSyntaxError';
  }
}

export function parseGeneratedFiles(text: string): GeneratedFiles {
  const parsed: GeneratedFiles = { paths: new Set(), pathPrefixes: [], fileNames: new Set(), filePrefixes: [], pathListFiles: [] };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const [kind, value] = fields;
    if (fields.length !== 2 || value === undefined) throw new GeneratedFilesSyntaxError(line);
    switch (kind) {
      case 'prefix':
      case 'path-prefix':
        parsed.pathPrefixes.push(value);
        break;
      case 'file-prefix':
        parsed.filePrefixes.push(value);
        break;
      case 'file-name':
        parsed.fileNames.add(value);
        break;
      case 'path':
        parsed.paths.add(value);
        // Prow files "path" entries with the file names, so a value without a slash also matches
        // that name in any directory; repositories may rely on it.
        parsed.fileNames.add(value);
        break;
      case 'paths-from-repo':
        parsed.pathListFiles.push(value);
        break;
      default:
        throw new GeneratedFilesSyntaxError(line);
    }
  }
  return parsed;
}

/** Adds the paths of a file named by `paths-from-repo`. */
export function addListedPaths(generated: GeneratedFiles, text: string): void {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line !== '' && !line.startsWith('#')) generated.paths.add(line);
  }
}

export function isListedAsGenerated(generated: GeneratedFiles, path: string): boolean {
  if (generated.paths.has(path)) return true;
  if (generated.pathPrefixes.some((prefix) => path.startsWith(prefix))) return true;
  const name = path.slice(path.lastIndexOf('/') + 1);
  return generated.fileNames.has(name) || generated.filePrefixes.some((prefix) => name.startsWith(prefix));
}

// ---- .gitattributes ----

/**
 * A `.gitattributes` pattern as Prow reads it: gitignore rules, except that negations and
 * directory patterns (ending in "/") are refused rather than guessed at.
 */
interface AttributePattern {
  segments: string[];
  /** A pattern with a slash is matched against the path; one without, against each path element. */
  anchored: boolean;
}

export class GitattributesSyntaxError extends Error {
  constructor(message: string) {
    super(`.gitattributes: ${message}`);
    this.name = 'GitattributesSyntaxError';
  }
}

/** The patterns marked `linguist-generated=true` (Prow recognises no other spelling). */
export function parseLinguistGenerated(text: string): AttributePattern[] {
  const patterns: AttributePattern[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [pattern, ...attributes] = line.split(/\s+/);
    if (pattern === undefined || !attributes.includes('linguist-generated=true')) continue;
    if (pattern.startsWith('!')) throw new GitattributesSyntaxError(`negative patterns are not allowed: ${pattern}`);
    if (pattern.endsWith('/')) {
      throw new GitattributesSyntaxError(`directory patterns do not match the files inside; write ${pattern}** instead`);
    }
    patterns.push({ segments: pattern.split('/'), anchored: pattern.includes('/') });
  }
  return patterns;
}

export function isLinguistGenerated(patterns: readonly AttributePattern[], path: string): boolean {
  const elements = path.split('/');
  return patterns.some((pattern) =>
    pattern.anchored ? matchesPath(pattern.segments, elements) : elements.some((element) => globMatches(pattern.segments[0] ?? '', element)),
  );
}

/** Prow's path matching, "**" included, kept step for step so the same files count as generated. */
function matchesPath(segments: readonly string[], elements: readonly string[]): boolean {
  let rest = [...elements];
  let matched = false;
  let anyDirectories = false;
  for (const [index, segment] of segments.entries()) {
    if (segment === '') {
      anyDirectories = false;
      continue;
    }
    if (segment === '**') {
      if (index === segments.length - 1) break;
      anyDirectories = true;
      continue;
    }
    if (segment.includes('**') || rest.length === 0) return false;
    if (anyDirectories) {
      anyDirectories = false;
      matched = false;
      while (rest.length > 0) {
        const [element = '', ...after] = rest;
        rest = after;
        if (globMatches(segment, element)) {
          matched = true;
          break;
        }
      }
    } else {
      if (!globMatches(segment, rest[0] ?? '')) return false;
      matched = true;
      rest = rest.slice(1);
    }
  }
  return matched;
}

const compiledGlobs = new Map<string, RegExp | undefined>();

/** Go's `filepath.Match` for one path element; a malformed pattern matches nothing, as in Prow. */
export function globMatches(pattern: string, name: string): boolean {
  if (!compiledGlobs.has(pattern)) compiledGlobs.set(pattern, globToRegExp(pattern));
  return compiledGlobs.get(pattern)?.test(name) ?? false;
}

function escapeOutsideClass(character: string): string {
  return character.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function escapeInsideClass(character: string): string {
  return character.replace(/[\\^\][-]/g, '\\$&');
}

/** `*`, `?`, `[a-z]`, `[^a-z]` and backslash escapes, as Go reads them. */
function globToRegExp(pattern: string): RegExp | undefined {
  const characters = [...pattern];
  let index = 0;
  const next = (): string | undefined => characters[index++];
  let source = '';
  while (index < characters.length) {
    const character = next() ?? '';
    if (character === '*') source += '[^/]*';
    else if (character === '?') source += '[^/]';
    else if (character === '\\') {
      const escaped = next();
      if (escaped === undefined) return undefined;
      source += escapeOutsideClass(escaped);
    } else if (character === '[') {
      const negated = characters[index] === '^';
      if (negated) index++;
      let ranges = '';
      let rangeCount = 0;
      let closed = false;
      while (index < characters.length) {
        if (characters[index] === ']' && rangeCount > 0) {
          index++;
          closed = true;
          break;
        }
        const low = classCharacter(next);
        if (low === undefined) return undefined;
        let high = low;
        if (characters[index] === '-') {
          index++;
          const upper = classCharacter(next);
          if (upper === undefined) return undefined;
          high = upper;
        }
        rangeCount++;
        // Go accepts a backwards range and lets it match nothing; a RegExp would refuse it.
        if ((low.codePointAt(0) ?? 0) <= (high.codePointAt(0) ?? 0)) {
          ranges += low === high ? escapeInsideClass(low) : `${escapeInsideClass(low)}-${escapeInsideClass(high)}`;
        }
      }
      if (!closed) return undefined;
      source += negated ? `[^/${ranges}]` : ranges === '' ? '(?!)' : `[${ranges}]`;
    } else {
      source += escapeOutsideClass(character);
    }
  }
  return new RegExp(`^${source}$`, 'u');
}

/** One character of a bracket expression: escaped, or any but the ones Go reserves there. */
function classCharacter(next: () => string | undefined): string | undefined {
  const character = next();
  if (character === undefined || character === '-' || character === ']') return undefined;
  if (character !== '\\') return character;
  return next();
}

// ---- the plugin ----

async function generatedFilesAt(repository: RepositoryHandle, ref: string): Promise<GeneratedFiles | undefined> {
  const text = await repository.getFileContent('.generated_files', ref);
  if (text === undefined) return undefined;
  const generated = parseGeneratedFiles(text);
  for (const file of generated.pathListFiles) {
    const listed = await repository.getFileContent(file, ref);
    if (listed === undefined) throw new Error(`.generated_files names ${file}, which does not exist at ${ref}`);
    addListedPaths(generated, listed);
  }
  return generated;
}

export const size = definePlugin('size', {
  description:
    'Keeps one `size/*` label on each pull request, from `size/XS` to `size/XXL`, according to the number of lines it changes (additions plus deletions), updated whenever the PR changes. Generated files are not counted: those named in a `.generated_files` file at the repository root, and those marked `linguist-generated=true` in the root `.gitattributes`.',
  config:
    'Reads `size`: `s`, `m`, `l`, `xl` and `xxl`, the smallest number of changed lines for each label (defaults 10, 30, 100, 500 and 1000; smaller PRs are `size/XS`). The settings apply to every repository.',
}).settings(sizeSection).on(
  ['pull_request.opened', 'pull_request.reopened', 'pull_request.synchronize', 'pull_request.edited'],
  async ({ event, issue, repository, plugins, log }) => {
    const { number, base } = event.payload.pull_request;

    let generated: GeneratedFiles | undefined;
    try {
      generated = await generatedFilesAt(repository, base.sha);
    } catch (error) {
      // A typo in .generated_files should not leave every PR without a size; count everything.
      if (!(error instanceof GeneratedFilesSyntaxError)) throw error;
      log.warn(error.message);
    }
    const attributes = await repository.getFileContent('.gitattributes', base.sha);
    const linguistGenerated = attributes === undefined ? [] : parseLinguistGenerated(attributes);

    const files = await issue.listPullRequestFiles();
    const changedLines = countChangedLines(
      files,
      (path) => (generated !== undefined && isListedAsGenerated(generated, path)) || isLinguistGenerated(linguistGenerated, path),
    );
    const wanted = sizeLabelFor(changedLines, sizeThresholds(sizeSection.read(plugins)));

    let current: string[] = [];
    try {
      current = await issue.listIssueLabels();
    } catch (error) {
      // Without the current labels the right one can still be added; stale ones go next time.
      log.warn('could not read the labels; adding the size label without removing others', { error });
    }
    const changes = sizeLabelChanges(current, wanted);
    for (const name of changes.remove) {
      try {
        await issue.removeLabel(name);
      } catch (error) {
        log.warn(`could not remove ${name}`, { error });
      }
    }
    if (changes.add) {
      log.info(`labelling ${changes.add}`, { number, changedLines });
      await issue.addLabels([changes.add]);
    }
  },
);
