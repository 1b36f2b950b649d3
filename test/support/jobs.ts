import { parse, stringify } from 'yaml';
import type { LoadResult } from '../../shared/config/load';
import type { Config, Periodic, Postsubmit, Presubmit } from '../../shared/config/model';
import { buildFromFiles, expectLoaded } from './config';

/**
 * Test helpers that turn a short YAML list of jobs into real, defaulted and validated jobs by
 * running them through the same loader every Cutwater component uses. Jobs without a `spec`
 * get a minimal one so the YAML in a test only says what the test is about.
 */

export const TEST_REPO = 'org/repo';
const SPEC = { containers: [{ image: 'registry.example/test:latest' }] };

type Section = 'presubmits' | 'postsubmits' | 'periodics';

function jobList(yaml: string): Record<string, unknown>[] {
  const list: unknown = parse(yaml);
  if (!Array.isArray(list)) throw new Error(`test YAML must be a list of jobs, got: ${yaml}`);
  return list.map((job: Record<string, unknown>) => ('spec' in job ? job : { ...job, spec: SPEC }));
}

function jobFile(section: Section, yaml: string, repo: string): string {
  const jobs = jobList(yaml);
  return stringify(section === 'periodics' ? { periodics: jobs } : { [section]: { [repo]: jobs } });
}

/** Load a job-config file (and an optional config.yaml), returning the config or the problems. */
export function loadJobs(jobFileText: string, prowConfigText = ''): LoadResult {
  return buildFromFiles({ config: prowConfigText, jobs: { 'jobs.yaml': jobFileText } });
}

function mustLoad(jobFileText: string): Config {
  return expectLoaded(loadJobs(jobFileText));
}

/** Defaulted presubmits of `repo`, from a YAML list of presubmit configs. */
export function presubmits(yaml: string, repo = TEST_REPO): Presubmit[] {
  return [...(mustLoad(jobFile('presubmits', yaml, repo)).presubmits.get(repo) ?? [])];
}

/** Defaulted postsubmits of `repo`, from a YAML list of postsubmit configs. */
export function postsubmits(yaml: string, repo = TEST_REPO): Postsubmit[] {
  return [...(mustLoad(jobFile('postsubmits', yaml, repo)).postsubmits.get(repo) ?? [])];
}

/** Defaulted periodics, from a YAML list of periodic configs. */
export function periodics(yaml: string): Periodic[] {
  return [...mustLoad(jobFile('periodics', yaml, TEST_REPO)).periodics];
}

/** The one presubmit a YAML list of one job defines. */
export function presubmit(yaml: string): Presubmit {
  const jobs = presubmits(yaml);
  if (jobs.length !== 1) throw new Error(`expected exactly one presubmit, got ${jobs.length}`);
  return jobs[0]!;
}

/** The one postsubmit a YAML list of one job defines. */
export function postsubmit(yaml: string): Postsubmit {
  const jobs = postsubmits(yaml);
  if (jobs.length !== 1) throw new Error(`expected exactly one postsubmit, got ${jobs.length}`);
  return jobs[0]!;
}

/** The problems loading a YAML list of jobs in `section` reports (empty when it loads). */
export function problemsLoading(section: Section, yaml: string, repo = TEST_REPO): string[] {
  const result = loadJobs(jobFile(section, yaml, repo));
  return result.ok ? [] : result.problems.map((problem) => problem.message);
}

export interface CountingFiles {
  readonly provider: () => Promise<readonly string[]>;
  readonly calls: () => number;
}

/** A changed-files provider that records how often it was asked. */
export function countingFiles(files: readonly string[]): CountingFiles {
  let calls = 0;
  return {
    provider: () => {
      calls += 1;
      return Promise.resolve(files);
    },
    calls: () => calls,
  };
}

/** A changed-files provider that fails the test's way: GitHub could not list the files. */
export function failingFiles(message = 'GitHub: cannot list files'): () => Promise<readonly string[]> {
  return () => Promise.reject(new Error(message));
}

export function names(jobs: readonly { name: string }[]): string[] {
  return jobs.map((job) => job.name);
}
