import { describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../../shared/artifacts/artifact-store';
import { DiskArtifactStore } from '../../../shared/artifacts/disk';
import { finishedJson, jobArtifactsDir, startedForJob, startedJson } from '../../../shared/artifacts/layout';
import type { ProwJob } from '../../../shared/prowjob/schema';
import { readRunArtifacts } from '../../../shared/status/run-artifacts';
import { useTempTrees } from '../../support/files';
import { testProwJob } from '../../support/prowjobs';

/** A run's directory in a real (disk) artifact store, read for its job page. */

const BUILD = '1790000000000000000';

const GO_JUNIT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="github.com/acme/widgets" tests="2" failures="1" time="0.02">
<testcase name="TestAdd" classname="github.com/acme/widgets" time="0.000"></testcase>
<testcase name="TestDivide" classname="github.com/acme/widgets" time="0.010"><failure message="Failed" type="">    divide_test.go:9: want error&#xA;</failure></testcase>
</testsuite></testsuites>`;

const PYTEST_JUNIT = `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="1" time="0.5"><testcase classname="tests.test_e2e" name="test_login" time="0.5"/></testsuite></testsuites>`;

function withBuild(job: ProwJob, buildId: string | undefined): ProwJob {
  return { ...job, status: { state: 'pending', startTime: '2024-05-01T10:00:00Z', ...(buildId ? { build_id: buildId } : {}) } };
}

describe('readRunArtifacts', () => {
  const tree = useTempTrees('run-artifacts');

  /** A store holding `files` (relative to the run's directory) for `job`'s build. */
  function storeWith(job: ProwJob, files: Record<string, string>, others: Record<string, string> = {}): ArtifactStore {
    const dir = jobArtifactsDir(job, BUILD);
    const all = Object.fromEntries(Object.entries(files).map(([path, text]) => [`${dir}${path}`, text]));
    return new DiskArtifactStore(tree({ ...all, ...others }));
  }

  it('has nothing to read for a job without a build ID', async () => {
    const job = withBuild(testProwJob({ type: 'periodic', job: 'ci-widgets' }), undefined);
    expect(await readRunArtifacts(storeWith(job, {}), job)).toBeUndefined();
  });

  it('lists the run’s files, reads started.json, finished.json and the JUnit files under artifacts/', async () => {
    const job = withBuild(testProwJob({ job: 'pull-widgets-unit', pull: 7 }), BUILD);
    const started = startedJson(startedForJob(job, { timestamp: 1714557600, node: 'pod-abc' }));
    const store = storeWith(
      job,
      {
        'started.json': started,
        'finished.json': finishedJson({ timestamp: 1714557700, passed: false, result: 'FAILURE', revision: 'b'.repeat(40), metadata: { 'job-version': 'v1.2.3' } }),
        'build-log.txt': 'running tests\n',
        'artifacts/junit_go.xml': GO_JUNIT,
        'artifacts/e2e/junit_e2e.xml': PYTEST_JUNIT,
        'artifacts/report.xml': '<report/>',
      },
      // The next build of the same job, whose directory shares a prefix with ours.
      { [`${jobArtifactsDir(job, `${BUILD}1`)}artifacts/junit.xml`]: PYTEST_JUNIT },
    );

    const run = await readRunArtifacts(store, job);
    expect(run?.dir).toBe(`pr-logs/pull/acme_widgets/7/pull-widgets-unit/${BUILD}/`);
    expect(run?.files.map((file) => file.path)).toEqual([
      'artifacts/e2e/junit_e2e.xml',
      'artifacts/junit_go.xml',
      'artifacts/report.xml',
      'build-log.txt',
      'finished.json',
      'started.json',
    ]);
    expect(run?.files.find((file) => file.path === 'build-log.txt')?.size).toBe(14);
    expect(run?.started).toEqual({
      timestamp: 1714557600,
      node: 'pod-abc',
      pull: '7',
      repos: { 'acme/widgets': `main:${'a'.repeat(40)},7:${'b'.repeat(40)}` },
      'repo-commit': 'b'.repeat(40),
      'repo-version': 'b'.repeat(40),
    });
    expect(run?.finished).toEqual({ timestamp: 1714557700, passed: false, result: 'FAILURE', revision: 'b'.repeat(40), metadata: { 'job-version': 'v1.2.3' } });
    expect(run?.junit.map((file) => [file.path, file.suites.map((suite) => suite.name)])).toEqual([
      ['artifacts/e2e/junit_e2e.xml', ['pytest']],
      ['artifacts/junit_go.xml', ['github.com/acme/widgets']],
    ]);
    expect(run?.junit[1]?.suites[0]?.cases[1]).toMatchObject({ name: 'TestDivide', status: 'failed', output: '    divide_test.go:9: want error\n' });
    expect(run?.junitErrors).toEqual([]);
    expect(run?.metadataErrors).toEqual([]);
  });

  it('keeps keys it does not know in what Prow and older tools wrote', async () => {
    const job = withBuild(testProwJob({ type: 'periodic', job: 'ci-widgets' }), BUILD);
    const store = storeWith(job, {
      // bootstrap.py's started.json, and a finished.json from a job that adds its own fields.
      'started.json': '{"node": "gke-node-1", "jenkins-node": "agent-3", "pull": "", "timestamp": 1500000000, "version": "v1.8.0"}',
      'finished.json': '{"timestamp": 1500000900, "passed": null, "result": "ABORTED", "metadata": {"links": {"dashboard": {"url": "https://example.com"}}}, "custom": [1, 2]}',
    });
    const run = await readRunArtifacts(store, job);
    expect(run?.started).toMatchObject({ node: 'gke-node-1', 'jenkins-node': 'agent-3', version: 'v1.8.0', timestamp: 1500000000 });
    expect(run?.finished).toMatchObject({ passed: null, result: 'ABORTED', custom: [1, 2], metadata: { links: { dashboard: { url: 'https://example.com' } } } });
    expect(run?.junit).toEqual([]);
  });

  it('reports broken files beside the results instead of failing', async () => {
    const job = withBuild(testProwJob({ type: 'postsubmit', job: 'post-widgets' }), BUILD);
    const store = storeWith(job, {
      'started.json': '{"timestamp": 1714557600,',
      'finished.json': '{"timestamp": "yesterday", "passed": true}',
      'artifacts/junit_01.xml': GO_JUNIT,
      'artifacts/junit_02.xml': 'FAIL\tgithub.com/acme/widgets\t0.012s\n',
      'artifacts/junit_03.xml': '<html><body>502 Bad Gateway</body></html>',
    });
    const run = await readRunArtifacts(store, job);
    expect(run?.started).toBeUndefined();
    expect(run?.finished).toBeUndefined();
    expect(run?.metadataErrors).toEqual([
      { path: 'started.json', message: expect.stringMatching(/^not valid JSON: /) },
      { path: 'finished.json', message: expect.stringMatching(/^unexpected content: timestamp: /) },
    ]);
    expect(run?.junit.map((file) => file.path)).toEqual(['artifacts/junit_01.xml']);
    expect(run?.junitErrors).toEqual([
      { path: 'artifacts/junit_02.xml', message: expect.stringMatching(/^not well-formed XML: line 1/) },
      { path: 'artifacts/junit_03.xml', message: expect.stringContaining('root element is <html>') },
    ]);
  });

  it('reads at most maxJUnitFiles files of at most maxJUnitBytes each, saying what it left out', async () => {
    const job = withBuild(testProwJob({ type: 'periodic', job: 'ci-widgets' }), BUILD);
    const big = `<testsuite name="big"><testcase name="a"><system-out>${'x'.repeat(3000)}</system-out></testcase></testsuite>`;
    const store = storeWith(job, {
      'artifacts/junit_1.xml': PYTEST_JUNIT,
      'artifacts/junit_2.xml': big,
      'artifacts/junit_3.xml': PYTEST_JUNIT,
      'artifacts/junit_4.xml': PYTEST_JUNIT,
    });
    const run = await readRunArtifacts(store, job, { maxJUnitFiles: 3, maxJUnitBytes: 2048 });
    expect(run?.junit.map((file) => file.path)).toEqual(['artifacts/junit_1.xml', 'artifacts/junit_3.xml']);
    expect(run?.junitErrors).toEqual([
      { path: 'artifacts/junit_2.xml', message: 'not read: 3 KiB is over the 2 KiB limit for this file' },
      { path: 'artifacts/junit_4.xml', message: 'not read: only the first 3 JUnit files of a run are shown' },
    ]);
    // Every file is still listed, for the artifact browser.
    expect(run?.files).toHaveLength(4);
  });

  it('reads by default up to 20 JUnit files', async () => {
    const job = withBuild(testProwJob({ type: 'periodic', job: 'ci-widgets' }), BUILD);
    const files = Object.fromEntries(Array.from({ length: 22 }, (_, i) => [`artifacts/junit_${String(i).padStart(2, '0')}.xml`, PYTEST_JUNIT]));
    const run = await readRunArtifacts(storeWith(job, files), job);
    expect(run?.junit).toHaveLength(20);
    expect(run?.junitErrors.map((error) => error.path)).toEqual(['artifacts/junit_20.xml', 'artifacts/junit_21.xml']);
  });
});
