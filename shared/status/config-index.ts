import type { Config, JobDefinition } from '../config/model';
import { repoVisibility } from './visibility';

/**
 * The repositories and job names a config declares, for the status pages' pickers, the plugin
 * pages' repository list, badges and job history. Derived once per loaded config, not per
 * request: a large config has thousands of jobs, and a config snapshot never changes once loaded.
 */
export interface ConfigIndex {
  /** Repositories with jobs or their own plugins.yaml entry, sorted. */
  repos: string[];
  /** Every configured job name, sorted. */
  jobNames: string[];
  /**
   * The job names the public pages may offer as choices (not `hidden`, not of a hidden repo), and
   * the clusters those jobs run on, sorted: a picker must not name what the list would not show.
   */
  shownJobNames: string[];
  shownClusters: string[];
}

const configIndexes = new WeakMap<Config, ConfigIndex>();

export function configIndex(config: Config): ConfigIndex {
  let index = configIndexes.get(config);
  if (!index) {
    const repos = new Set<string>([...config.presubmits.keys(), ...config.postsubmits.keys()]);
    for (const periodic of config.periodics) for (const refs of periodic.extra_refs ?? []) repos.add(`${refs.org}/${refs.repo}`);
    // A repository with plugins but no jobs can still be chosen on the plugin pages.
    for (const key of Object.keys(config.plugins?.plugins ?? {})) if (key.includes('/')) repos.add(key);
    const names = new Set<string>();
    for (const jobs of config.presubmits.values()) for (const job of jobs) names.add(job.name);
    for (const jobs of config.postsubmits.values()) for (const job of jobs) names.add(job.name);
    for (const job of config.periodics) names.add(job.name);
    const repoShown = repoVisibility(config);
    const shownNames = new Set<string>();
    const clusters = new Set<string>();
    const offer = (job: JobDefinition, orgRepos: readonly string[]) => {
      if (job.hidden || !orgRepos.every(repoShown)) return;
      shownNames.add(job.name);
      if (job.cluster) clusters.add(job.cluster);
    };
    for (const [orgRepo, jobs] of config.presubmits) for (const job of jobs) offer(job, [orgRepo]);
    for (const [orgRepo, jobs] of config.postsubmits) for (const job of jobs) offer(job, [orgRepo]);
    for (const job of config.periodics) offer(job, (job.extra_refs ?? []).map((refs) => `${refs.org}/${refs.repo}`));
    index = { repos: [...repos].sort(), jobNames: [...names].sort(), shownJobNames: [...shownNames].sort(), shownClusters: [...clusters].sort() };
    configIndexes.set(config, index);
  }
  return index;
}
