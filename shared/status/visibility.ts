import type { Config } from '../config/model';
import type { ProwJob } from '../prowjob/schema';

/**
 * What the public status pages may show. As Prow's deck: jobs marked `hidden: true`, and jobs of
 * the orgs or repos in `deck.hidden_repos`, are never shown — not in lists, not by name, not their
 * logs or badges. One predicate, applied by every route, so no page can forget it.
 */
export type JobVisibility = (job: ProwJob) => boolean;

export function jobVisibility(config: Config | undefined): JobVisibility {
  const hidden = new Set((config?.prow.deck?.hidden_repos ?? []).map((entry) => entry.toLowerCase()));
  return (job) => {
    if (job.spec.hidden) return false;
    if (hidden.size === 0) return true;
    for (const refs of [job.spec.refs, ...(job.spec.extra_refs ?? [])]) {
      if (!refs) continue;
      if (hidden.has(refs.org.toLowerCase()) || hidden.has(`${refs.org}/${refs.repo}`.toLowerCase())) return false;
    }
    return true;
  };
}

/** For pages about a repository (configured jobs, plugins, PR history). */
export function repoVisibility(config: Config | undefined): (orgRepo: string) => boolean {
  const hidden = new Set((config?.prow.deck?.hidden_repos ?? []).map((entry) => entry.toLowerCase()));
  return (orgRepo) => {
    const lower = orgRepo.toLowerCase();
    return !hidden.has(lower) && !hidden.has(lower.split('/')[0] ?? '');
  };
}
