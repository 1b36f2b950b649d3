import { loadConfig } from '../../shared/config/load';
import { countJobs } from '../../shared/config/model';
import { fixedChangedFiles } from '../../shared/jobs/changes';
import { presubmitsForComment } from '../../shared/jobs/comment-commands';
import { corpusPaths } from '../support/config';
import { type BenchResult, measure } from './measure';

/** Loading + validating the kubernetes/test-infra corpus, and answering `/test all` for every repo. */
export async function benchConfig(): Promise<BenchResult[]> {
  const paths = corpusPaths();
  const first = await loadConfig(paths, { strict: true });
  if (!first.ok) throw new Error(`corpus failed to load: ${first.problems[0]?.message}`);
  const counts = countJobs(first.config);
  const jobs = `${counts.presubmits} presubmits, ${counts.postsubmits} postsubmits, ${counts.periodics} periodics`;

  const load = await measure('load + validate kubernetes corpus (--strict)', 5, async () => {
    const result = await loadConfig(paths, { strict: true });
    if (!result.ok) throw new Error('corpus failed to load');
  });

  const config = first.config;
  const changedFiles = fixedChangedFiles([
    'pkg/kubelet/kubelet.go',
    'test/e2e/node/pods.go',
    'docs/README.md',
  ]);
  let selected = 0;
  const testAll = await measure(
    `/test all for every repo (${config.presubmits.size} repos)`,
    20,
    async () => {
      selected = 0;
      for (const presubmits of config.presubmits.values()) {
        const jobsToRun = await presubmitsForComment(presubmits, {
          body: 'LGTM overall.\n/test all\nthanks',
          baseRef: 'master',
          changedFiles,
        });
        selected += jobsToRun.length;
      }
    },
  );
  const kubernetes = config.presubmits.get('kubernetes/kubernetes') ?? [];
  const named = await measure(
    `/test <one name> on kubernetes/kubernetes (${kubernetes.length} presubmits)`,
    50,
    async () => {
      await presubmitsForComment(kubernetes, {
        body: '/test pull-kubernetes-unit',
        baseRef: 'master',
        changedFiles,
      });
    },
  );
  return [{ ...load, note: jobs }, { ...testAll, note: `${selected} jobs selected` }, named];
}
