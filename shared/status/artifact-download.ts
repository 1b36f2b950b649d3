import { checkArtifactPath } from '../artifacts/artifact-store';
import { runArtifactsForPage } from './run-artifacts';
import { badRequest, notFound, type StatusRequest } from './status-request';

/**
 * `GET /view/<ProwJob name>/artifacts/<path>`: one file a run stored, listed on its job page.
 * Text is shown as text; images and HTML reports (for the images and html lenses) are shown as
 * what they are; anything else is a download. Every answer carries `nosniff` and a sandboxing
 * policy with no script source, so an uploaded page or SVG is inert even when opened directly:
 * no script runs, and it has no access to this site's origin.
 */

const TEXT_ARTIFACT = /\.(?:txt|log|xml|json|ya?ml|md|csv|tsv|out|err|sh|diff|patch|cov)$/i;

/** Shown inline with their own type; the policy is per kind, each as tight as the kind allows. */
const INLINE_TYPES: Record<string, { type: string; policy: string }> = {
  png: { type: 'image/png', policy: "default-src 'none'; sandbox" },
  jpg: { type: 'image/jpeg', policy: "default-src 'none'; sandbox" },
  jpeg: { type: 'image/jpeg', policy: "default-src 'none'; sandbox" },
  gif: { type: 'image/gif', policy: "default-src 'none'; sandbox" },
  // An SVG opened on its own is a document that could run script: the sandbox stops it.
  svg: { type: 'image/svg+xml', policy: "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox" },
  // Reports keep their own styles and images; scripts, forms, plugins and frames stay off.
  html: { type: 'text/html; charset=utf-8', policy: "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; sandbox" },
  htm: { type: 'text/html; charset=utf-8', policy: "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; sandbox" },
};
const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;

/** `path` is the percent-decoded path under the run's artifacts. */
export async function serveArtifact(page: StatusRequest, name: string, path: string): Promise<void> {
  const { deps, response } = page;
  const stored = await deps.store.jobs.get(name);
  const buildId = stored?.job.status?.build_id;
  if (!stored || !buildId || !page.visible(stored.job)) return notFound(page, `No ProwJob named ${name} with stored results.`);
  let relative: string;
  try {
    relative = checkArtifactPath(path);
  } catch (error) {
    return badRequest(page, (error as Error).message);
  }
  const run = await runArtifactsForPage(deps.artifacts, deps.log, stored.job);
  const info = run?.files.find((file) => file.path === relative);
  if (!run || !info) return notFound(page, `${relative} is not among this run's artifacts.`);
  if (info.size > MAX_ARTIFACT_BYTES) return badRequest(page, `${relative} is ${info.size} bytes; download it from the artifact bucket instead.`);
  const content = await deps.artifacts.read(`${run.dir}${relative}`);
  if (!content) return notFound(page, `${relative} is gone.`);
  const fileName = relative.split('/').at(-1) ?? 'artifact';
  const text = TEXT_ARTIFACT.test(fileName);
  const inline = INLINE_TYPES[fileName.split('.').at(-1)?.toLowerCase() ?? ''];
  response.writeHead(200, {
    'content-type': inline?.type ?? (text ? 'text/plain; charset=utf-8' : 'application/octet-stream'),
    'content-length': content.length,
    'x-content-type-options': 'nosniff',
    'content-security-policy': inline?.policy ?? "default-src 'none'; sandbox",
    // Reports may link to each other; they must not learn the job page's address.
    'referrer-policy': 'no-referrer',
    ...(text || inline ? {} : { 'content-disposition': `attachment; filename="${fileName.replace(/[^\w.-]/g, '_')}"` }),
  });
  response.end(content);
}
