import { describe, expect, it } from 'vitest';
import { DiskArtifactStore } from '../../../shared/artifacts/disk';
import { finishedJson, jobArtifactsDir, startedForJob, startedJson } from '../../../shared/artifacts/layout';
import type { SpyglassConfig } from '../../../shared/config/prow-schema';
import type { ProwJob } from '../../../shared/prowjob/schema';
import { parseCoverProfile } from '../../../shared/status/lenses/coverage';
import { reportTitle } from '../../../shared/status/lenses/html';
import { renderLenses } from '../../../shared/status/lenses';
import { podHint, PodReportSchema } from '../../../shared/status/lenses/podinfo';
import { readRunArtifacts } from '../../../shared/status/run-artifacts';
import { useTempTrees } from '../../support/files';
import { testProwJob } from '../../support/prowjobs';

/** Each lens over a real (disk) artifact store, as the job page renders it — with files a hostile job could write. */

const BUILD = '1790000000000000000';
const NOW = Date.parse('2024-05-01T10:30:00Z');

function withBuild(job: ProwJob): ProwJob {
  return { ...job, status: { state: 'failure', startTime: '2024-05-01T10:00:00Z', build_id: BUILD } };
}

const POD_FAILED = {
  pod: {
    metadata: { name: 'abc-pod', namespace: 'test-pods' },
    spec: {
      nodeName: 'node-7',
      initContainers: [{ name: 'clonerefs', image: 'clonerefs:v1' }],
      containers: [{ name: 'test', image: 'golang:1.22', resources: { requests: { cpu: '2', memory: '4Gi' }, limits: { memory: '8Gi' } } }],
    },
    status: {
      phase: 'Failed',
      startTime: '2024-05-01T10:00:05Z',
      initContainerStatuses: [{ name: 'clonerefs', ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      containerStatuses: [{ name: 'test', image: 'golang:1.22', ready: false, restartCount: 1, state: { terminated: { exitCode: 137, reason: 'OOMKilled', message: '<script>alert("oom")</script>' } } }],
    },
  },
  events: [
    { type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned test-pods/abc-pod to node-7', count: 1, lastTimestamp: '2024-05-01T10:00:01Z' },
    { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container </script><img src=x onerror=alert(1)>', count: 3, lastTimestamp: '2024-05-01T10:20:00Z' },
  ],
};

describe('the lenses on a job page', () => {
  const tree = useTempTrees('lenses');

  async function render(files: Record<string, string>, spyglass?: SpyglassConfig, job = withBuild(testProwJob({ job: 'pull-widgets-unit', pull: 7 }))): Promise<string> {
    const dir = jobArtifactsDir(job, BUILD);
    const store = new DiskArtifactStore(tree(Object.fromEntries(Object.entries(files).map(([path, text]) => [`${dir}${path}`, text]))));
    const run = await readRunArtifacts(store, job);
    const page = await renderLenses({ artifacts: store, job, run: run!, spyglass, artifactHref: (path) => `/view/x/artifacts/${path}`, now: NOW });
    return page.toString();
  }

  /** The HTML of one lens's section. */
  function section(page: string, name: string): string {
    const start = page.indexOf(`<section class="lens" id="lens-${name}"`);
    if (start < 0) return '';
    return page.slice(start, page.indexOf('</section>', start) + '</section>'.length);
  }

  it('metadata: result, timing, refs and job metadata from started/finished, and the ProwJob folded; nothing it holds becomes markup', async () => {
    const job = withBuild(testProwJob({ job: 'pull-widgets-unit', pull: 7 }));
    const page = await render(
      {
        'started.json': startedJson(startedForJob(job, { timestamp: Date.parse('2024-05-01T10:00:00Z') / 1000, node: 'node-7' })),
        'finished.json': finishedJson({ timestamp: Date.parse('2024-05-01T10:12:30Z') / 1000, passed: false, result: 'FAILURE', metadata: { 'job-version': 'v1.2.3', infra: { commit: '</script><script>alert(1)</script>' } } }),
        'prowjob.json': JSON.stringify({ ...job, spec: { ...job.spec, job: '</script><script>alert(2)</script>' } }),
      },
      undefined,
      job,
    );
    const metadata = section(page, 'metadata');
    expect(metadata).toContain('✖ FAILURE');
    expect(metadata).toContain('2024-05-01 10:00:00 UTC');
    expect(metadata).toContain('2024-05-01 10:12:30 UTC');
    expect(metadata).toMatch(/Elapsed<\/dt><dd>12m ?30s/);
    expect(metadata).toContain(`Refs acme/widgets</dt><dd><span class="commit">main:${'a'.repeat(40)}`);
    expect(metadata).toContain('<dt>Node</dt><dd>node-7</dd>');
    expect(metadata).toContain('<dt>job-version</dt><dd>v1.2.3</dd>');
    expect(metadata).toContain('<dt>infra.commit</dt>');
    expect(metadata).toMatch(/<details><summary>prowjob\.json<\/summary><pre class="output">/);
    expect(page).not.toContain('</script>');
    expect(page).not.toContain('<script>');
    expect(metadata).toContain('&#60;/script&#62;&#60;script&#62;alert(1)');
  });

  it('metadata: a running job shows time so far, and the pod explains a failure first', async () => {
    const page = await render({
      'started.json': JSON.stringify({ timestamp: Date.parse('2024-05-01T10:00:00Z') / 1000 }),
      'podinfo.json': JSON.stringify({
        pod: { status: { phase: 'Pending', containerStatuses: [{ name: 'test', image: 'gcr.io/nope:v0', state: { waiting: { reason: 'ErrImagePull', message: 'not found' } } }] } },
      }),
    });
    const metadata = section(page, 'metadata');
    expect(metadata).toContain('not finished yet');
    expect(metadata).toContain('30m00s so far');
    expect(metadata).toContain('its image gcr.io/nope:v0 could not be pulled');
  });

  it('metadata: an unreadable started.json is said, not thrown', async () => {
    const page = await render({ 'started.json': '{not json', 'finished.json': '{"passed": true}' });
    const metadata = section(page, 'metadata');
    expect(metadata).toContain('✔ SUCCESS');
    expect(metadata).toContain('Could not read started.json: not valid JSON');
  });

  it('links: every artifact with its size and a link to the artifact route; debugging links only for http(s)', async () => {
    const page = await render({
      'build-log.txt': 'x'.repeat(2048),
      'artifacts/grafana-dashboard.link.txt': 'https://grafana.example.com/d/1\n',
      'artifacts/evil.link.txt': 'javascript:alert(1)',
      'artifacts/"><script>alert(1)</script>.txt': 'hi',
    });
    const links = section(page, 'links');
    expect(links).toContain('<a href="/view/x/artifacts/build-log.txt">build-log.txt</a> <span class="muted">2 KiB</span>');
    expect(links).toContain('<a href="https://grafana.example.com/d/1" rel="noopener noreferrer">Grafana dashboard</a>');
    expect(links).toContain('Evil <span class="muted">not an http(s) link</span>');
    expect(links).not.toContain('href="javascript:');
    expect(links).not.toContain('<script>');
  });

  it('images: an inline gallery of <img> elements pointing at the artifact route; SVG never inlined as markup', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><circle r="5"/></svg>';
    const page = await render({ 'artifacts/screens/login.png': 'PNG', 'artifacts/chart.svg': svg, 'artifacts/notes.txt': 'n' });
    const images = section(page, 'images');
    expect(images).toContain('<img src="/view/x/artifacts/artifacts/chart.svg" alt="artifacts/chart.svg" loading="lazy">');
    expect(images).toContain('<img src="/view/x/artifacts/artifacts/screens/login.png"');
    expect(images).not.toContain('notes.txt');
    expect(page).not.toContain('<svg');
    expect(page).not.toContain('<circle');
  });

  it('html: each report in an iframe sandboxed without scripts or same-origin; only its escaped title reaches the page', async () => {
    const report = '<html><head><title>Bench &amp; results</title></head><body><script>parent.document.body.innerHTML="owned"</script></body></html>';
    const page = await render({ 'artifacts/bench.html': report, 'artifacts/title.html': '<title></title><script>x</script>' });
    const reports = section(page, 'html');
    expect(reports).toContain('<iframe sandbox src="/view/x/artifacts/artifacts/bench.html" title="Bench &#38; results"');
    expect(reports).not.toMatch(/allow-scripts|allow-same-origin|srcdoc/);
    expect((reports.match(/<iframe /g) ?? []).length).toBe(2);
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('owned');
    expect(reportTitle('<TITLE>a\n  b</TITLE>')).toBe('a b');
  });

  it('podinfo: phase, containers with states, exit codes and resources, and the events, escaped', async () => {
    const page = await render({ 'podinfo.json': JSON.stringify(POD_FAILED) });
    const pod = section(page, 'podinfo');
    expect(pod).toContain('<dt>Phase</dt><dd>Failed</dd>');
    expect(pod).toContain('<dt>Node</dt><dd>node-7</dd>');
    expect(pod).toMatch(/<td>test<\/td><td class="commit">golang:1\.22<\/td><td class="state-failure">terminated, exit code 137, OOMKilled, &#60;script&#62;/);
    expect(pod).toContain('<td>137</td><td>1</td><td>cpu: 2, memory: 4Gi</td><td>memory: 8Gi</td>');
    expect(pod).toContain('clonerefs <span class="muted">init</span>');
    expect(pod).toContain('<td class="state-failure">Warning</td><td>BackOff</td>');
    expect(pod).not.toContain('<img src=x');
    expect(page).not.toContain('</script>');
  });

  it('podinfo: a file that is not a pod report says so instead of failing the page', async () => {
    const page = await render({ 'podinfo.json': JSON.stringify({ pod: { status: { phase: 7 } } }) });
    expect(section(page, 'podinfo')).toContain('Could not read podinfo.json: unexpected content');
  });

  it('podinfo hints, as Prow recognises them: mounts, scheduling, unhealthy nodes, init containers', () => {
    const hint = (report: unknown) => podHint(PodReportSchema.parse(report));
    expect(hint({ pod: { status: { phase: 'Succeeded' } }, events: [{ reason: 'FailedSync' }] })).toBeUndefined();
    expect(hint({ pod: { status: { phase: 'Pending' } }, events: [{ reason: 'FailedMount', message: 'MountVolume.SetUp failed for volume "creds" : secret "creds" not found' }] })).toBe(
      'The pod never started: the volume "creds" could not be mounted (secret "creds" not found).',
    );
    expect(hint({ pod: { status: { phase: 'Pending' } }, events: [{ reason: 'FailedScheduling', message: '0/3 nodes are available' }] })).toContain('0/3 nodes are available');
    expect(hint({ pod: { status: { phase: 'Failed', reason: 'MatchNodeSelector' } } })).toContain('node selector');
    expect(hint({ pod: { status: { phase: 'Failed' } }, events: [{ reason: 'FailedCreatePodSandbox' }] })).toContain('unhealthy');
    expect(hint({ pod: { status: { phase: 'Failed', initContainerStatuses: [{ name: 'clonerefs', ready: false, state: { terminated: { exitCode: 1, reason: 'Error' } } }] } } })).toBe(
      'Init container clonerefs did not become ready (terminated, exit code 1, Error).',
    );
  });

  it('coverage: per-file percentages and the total from a Go profile; blocks repeated across profiles count once', async () => {
    const profile = [
      'mode: set',
      'github.com/acme/widgets/add.go:3.20,5.2 2 1',
      'github.com/acme/widgets/add.go:7.20,9.2 2 0',
      'github.com/acme/widgets/<b>x</b>.go:1.1,2.2 1 0',
      'mode: set',
      'github.com/acme/widgets/add.go:7.20,9.2 2 1',
      'github.com/acme/widgets/div.go:3.20,5.2 4 0',
      'garbage line',
    ].join('\n');
    const page = await render({ 'artifacts/filtered.cov': profile, 'artifacts/filtered.html': '<p>report</p>' });
    const coverage = section(page, 'coverage');
    expect(coverage).toContain('Total: <strong>44.4%</strong> of 9 statements in 3 files');
    expect(coverage).toMatch(/add\.go<\/td><td>4 \/ 4<\/td><td><meter[^>]*><\/meter> 100\.0%/);
    expect(coverage).toMatch(/div\.go<\/td><td>0 \/ 4<\/td><td><meter[^>]*><\/meter> 0\.0%/);
    expect(coverage).toContain('&#60;b&#62;x&#60;/b&#62;.go');
    expect(coverage).toContain('1 lines were not coverage blocks');
    expect(coverage).toContain('<a href="/view/x/artifacts/artifacts/filtered.html">artifacts/filtered.html</a> (full report)');
    expect(parseCoverProfile('mode: count\n').files).toEqual([]);
  });

  it('follows deck.spyglass.lenses: only configured lenses, with the files their regexps choose', async () => {
    const spyglass: SpyglassConfig = {
      lenses: [
        { lens: { name: 'images' }, required_files: ['^artifacts/shots/.*\\.png$'] },
        { lens: { name: 'buildlog' }, required_files: ['build-log\\.txt'] },
      ],
    };
    const page = await render({ 'artifacts/shots/a.png': 'PNG', 'artifacts/other.png': 'PNG', 'started.json': '{}', 'build-log.txt': 'x' }, spyglass);
    expect(page).not.toContain('lens-metadata');
    expect(page).not.toContain('lens-links');
    expect(section(page, 'images')).toContain('artifacts/shots/a.png');
    expect(section(page, 'images')).not.toContain('other.png');
    // Every file stays reachable, folded, when no links lens lists them all.
    expect(section(page, 'all-artifacts')).toContain('<summary>All 4 artifacts</summary>');
    expect(section(page, 'all-artifacts')).toContain('<a href="/view/x/artifacts/artifacts/other.png">');
  });

  it('with the default lenses, the links lens lists every file and there is no second list', async () => {
    const page = await render({ 'build-log.txt': 'x', 'artifacts/a.txt': 'a' });
    expect(section(page, 'links')).toContain('artifacts/a.txt');
    expect(page).not.toContain('lens-all-artifacts');
  });
});
