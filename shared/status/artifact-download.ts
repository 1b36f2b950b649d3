import { checkArtifactPath } from '../artifacts/artifact-store';
import { runArtifactsForPage } from './run-artifacts';
import { badRequest, notFound, type StatusRequest } from './status-request';

/**
 * `GET /view/<ProwJob name>/artifacts/<path>`: one file a run stored, listed on its job page.
 * Text is shown as text; anything else is a download, so an uploaded HTML file cannot run here.
 */

const TEXT_ARTIFACT = /\.(?:txt|log|xml|json|ya?ml|md|csv|tsv|out|err|sh|diff|patch)$/i;
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
  response.writeHead(200, {
    'content-type': text ? 'text/plain; charset=utf-8' : 'application/octet-stream',
    'content-length': content.length,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    ...(text ? {} : { 'content-disposition': `attachment; filename="${fileName.replace(/[^\w.-]/g, '_')}"` }),
  });
  response.end(content);
}
