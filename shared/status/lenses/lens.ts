import type { ProwJob } from '../../prowjob/schema';
import type { SafeHtml } from '../html';

/**
 * A Spyglass lens: one view of some of a run's files on its job page. Which files a lens gets is
 * decided by `deck.spyglass.lenses` (or the lens's own defaults when that is unset); the lens only
 * turns those files into HTML. Everything a lens shows came from a job, so it is rendered with the
 * `html` template only — never assembled as a string — and any link to a file goes through `href`,
 * the artifact route, which serves files under a sandboxing Content-Security-Policy.
 */
export interface Lens {
  /** The name `deck.spyglass.lenses[].lens.name` uses; Prow's names where Prow has the lens. */
  readonly name: string;
  /** The section heading on the job page. */
  readonly title: string;
  /** Used when the config has no `deck.spyglass.lenses`: Go regexps over paths relative to the run's directory. */
  readonly defaultFiles: { required: readonly string[]; optional?: readonly string[] };
  /**
   * Contents to read before rendering, as UTF-8 text. Leave out for lenses that only link to
   * files. `which` narrows the files read (default: all of the lens's files, up to `maxFiles`).
   */
  readonly read?: { maxBytes: number; maxFiles?: number; which?: (path: string) => boolean };
  /** Undefined when the files give nothing to show; the section is then left out. */
  render(input: LensInput): SafeHtml | undefined;
}

export interface LensFile {
  /** Relative to the run's directory, as the config's regexps see it. */
  path: string;
  size: number;
  /** The file on the artifact route. */
  href: string;
  /** The text, when the lens asked to read this file and it could be read. */
  content?: string;
  /** Why the content is missing, when the lens asked for it. */
  problem?: string;
}

export interface LensInput {
  job: ProwJob;
  /** The files the lens was chosen for, sorted by path. */
  files: LensFile[];
  /** The entry's `lens.config` from the config, for lenses that take settings. */
  config: unknown;
  now: number;
}

/** The file at exactly `path`, if the lens got it. */
export function fileNamed(files: readonly LensFile[], path: string): LensFile | undefined {
  return files.find((file) => file.path === path);
}

/** Parses JSON a job wrote; undefined for anything unreadable, with the reason for the page. */
export function parseJsonFile(file: LensFile | undefined): { value?: unknown; problem?: string } {
  if (!file) return {};
  if (file.content === undefined) return { problem: file.problem ?? 'not read' };
  try {
    return { value: JSON.parse(file.content) as unknown };
  } catch (error) {
    return { problem: `not valid JSON: ${(error as Error).message}` };
  }
}
