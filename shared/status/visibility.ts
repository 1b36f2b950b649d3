import type { Config } from '../config/model';
import type { ProwJob } from '../prowjob/schema';

/**
 * What the public status pages may show. As Prow's deck: jobs marked `hidden: true`, and jobs of
 * the orgs or repos in `deck.hidden_repos`, are never shown — not in lists, not by name, not their
 * logs or badges. One predicate, applied by every route, so no page can forget it.
 */
export type JobVisibility = (job: ProwJob) => boolean;

/** For pages about a repository (configured jobs, plugins, PR history): "org/repo" → shown? */
export function repoVisibility(config: Config | undefined): (orgRepo: string) => boolean {
  const hidden = new Set((config?.prow.deck?.hidden_repos ?? []).map((entry) => entry.toLowerCase()));
  return (orgRepo) => {
    const lower = orgRepo.toLowerCase();
    return !hidden.has(lower) && !hidden.has(lower.split('/')[0] ?? '');
  };
}

export function jobVisibility(config: Config | undefined): JobVisibility {
  const repoShown = repoVisibility(config);
  return (job) =>
    !job.spec.hidden &&
    [job.spec.refs, ...(job.spec.extra_refs ?? [])].every((refs) => !refs || repoShown(`${refs.org}/${refs.repo}`));
}
