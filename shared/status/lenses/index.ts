import type { ArtifactStore } from '../../artifacts/artifact-store';
import { compileLensEntries, configuredLensFiles, matchLensEntries, type LensEntry } from '../../config/spyglass';
import type { SpyglassConfig } from '../../config/prow-schema';
import type { ProwJob } from '../../prowjob/schema';
import { html, type SafeHtml } from '../html';
import { mapLimited, readDocument, type RunArtifacts } from '../run-artifacts';
import { coverageLens } from './coverage';
import { htmlLens } from './html';
import { imagesLens } from './images';
import type { Lens, LensFile } from './lens';
import { linksLens } from './links';
import { metadataLens } from './metadata';
import { podinfoLens } from './podinfo';

/**
 * The lenses a job page can show, in the order they appear (Prow orders lenses by priority; here
 * the list is the priority). To add a lens, write a module exporting a `Lens` and add it here.
 */
export const LENSES: readonly Lens[] = [metadataLens, linksLens, imagesLens, htmlLens, podinfoLens, coverageLens];

/**
 * Lens names Prow configs use for views the job page always has (the JUnit failures and the build
 * log): accepted in `deck.spyglass.lenses` and not reported as unknown.
 */
export const BUILT_IN_VIEWS: readonly string[] = ['junit', 'buildlog'];

const byName = new Map(LENSES.map((lens, index) => [lens.name, { lens, index }]));

/** Lens files read at once: enough to hide a bucket's latency, few enough to bound memory. */
const READ_CONCURRENCY = 4;
const DEFAULT_MAX_FILES = 20;

let defaultEntries: LensEntry[] | undefined;
const compiledEntries = new WeakMap<SpyglassConfig, LensEntry[] | undefined>();

/** The config's entries, or every lens with its defaults when `deck.spyglass.lenses` is unset. */
export function lensEntries(spyglass: SpyglassConfig | undefined): LensEntry[] {
  if (spyglass && compiledEntries.has(spyglass)) return compiledEntries.get(spyglass) ?? defaults();
  const configured = configuredLensFiles(spyglass);
  const entries = configured ? compileLensEntries(configured) : undefined;
  if (spyglass) compiledEntries.set(spyglass, entries);
  return entries ?? defaults();
}

function defaults(): LensEntry[] {
  defaultEntries ??= compileLensEntries(
    LENSES.map((lens) => ({ required_files: [...lens.defaultFiles.required], optional_files: [...(lens.defaultFiles.optional ?? [])], lens: { name: lens.name } })),
  );
  return defaultEntries;
}

export interface ChosenLens {
  lens: Lens;
  paths: string[];
  config: unknown;
}

/** The lenses shown for a run's files, in page order; entries naming a lens this site does not have are skipped. */
export function chooseLenses(spyglass: SpyglassConfig | undefined, paths: readonly string[]): ChosenLens[] {
  const chosen: (ChosenLens & { order: number })[] = [];
  for (const { entry, paths: matched } of matchLensEntries(lensEntries(spyglass), paths)) {
    const known = byName.get(entry.name);
    if (known) chosen.push({ lens: known.lens, paths: matched, config: entry.config, order: known.index });
  }
  return chosen.sort((a, b) => a.order - b.order).map(({ lens, paths: matched, config }) => ({ lens, paths: matched, config }));
}

export interface LensPageInput {
  artifacts: ArtifactStore;
  job: ProwJob;
  run: RunArtifacts;
  spyglass: SpyglassConfig | undefined;
  artifactHref: (relativePath: string) => string;
  now: number;
}

/** Reads what each chosen lens asked for and renders the lenses as sections of the job page. */
export async function renderLenses(input: LensPageInput): Promise<SafeHtml> {
  const sizes = new Map(input.run.files.map((file) => [file.path, file]));
  const chosen = chooseLenses(
    input.spyglass,
    input.run.files.map((file) => file.path),
  );
  const prepared = await mapLimited(chosen, 2, async ({ lens, paths, config }) => {
    const files: LensFile[] = paths.map((path) => ({ path, size: sizes.get(path)?.size ?? 0, href: input.artifactHref(path) }));
    const read = lens.read;
    if (read) {
      const wanted = files.filter((file) => read.which?.(file.path) ?? true).slice(0, read.maxFiles ?? DEFAULT_MAX_FILES);
      const results = await mapLimited(wanted, READ_CONCURRENCY, (file) => {
        const info = sizes.get(file.path);
        return info ? readDocument(input.artifacts, input.run.dir, info, read.maxBytes, (text) => text) : Promise.resolve({ problem: 'not listed' });
      });
      wanted.forEach((file, index) => {
        const result = results[index];
        if (result && 'value' in result) file.content = result.value;
        else file.problem = result?.problem ?? 'not read';
      });
    }
    try {
      return { lens, body: lens.render({ job: input.job, files, config, now: input.now }) };
    } catch (error) {
      // A lens is reading someone else's files: one it cannot make sense of costs that lens, not the page.
      return { lens, body: html`<p class="muted">This lens could not show these files: ${(error as Error).message}</p>` };
    }
  });
  const used = new Map<string, number>();
  // Prow's page always links the whole build directory; a config whose links lens covers only
  // `*.link.txt` files (as Kubernetes' does) must not leave the other files unreachable.
  const listsAll = chosen.some(({ lens, paths }) => lens === linksLens && paths.length === input.run.files.length);
  const allFiles = input.run.files.map((file) => ({ path: file.path, size: file.size, href: input.artifactHref(file.path) }));
  const everything = listsAll
    ? ''
    : html`<section class="lens" id="lens-all-artifacts"><details><summary>All ${allFiles.length} artifacts</summary>${linksLens.render({ job: input.job, files: allFiles, config: undefined, now: input.now })}</details></section>`;
  return html`${prepared.map(({ lens, body }) => {
    if (!body) return '';
    const count = (used.get(lens.name) ?? 0) + 1;
    used.set(lens.name, count);
    const id = `lens-${lens.name}${count > 1 ? `-${count}` : ''}`;
    return html`<section class="lens" id="${id}" aria-labelledby="${id}-title"><h2 id="${id}-title">${lens.title}</h2>${body}</section>`;
  })}${everything}`;
}
