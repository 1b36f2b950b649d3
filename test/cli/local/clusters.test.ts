import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystemOptions } from '../../../cli/local/system';
import { memoryLogger } from '../../../shared/log/logger';
import { waitFor } from '../../support/wait';

/** Local mode and build clusters: which jobs run here, and what says so about the others. */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function periodic(name: string, cluster?: string): string {
  return `- name: ${name}\n  interval: 1h\n  decorate: false\n${cluster ? `  cluster: ${cluster}\n` : ''}  spec: {containers: [{image: node, command: [node, -e, "console.log('ran ${name}')"]}]}\n`;
}

async function start(periodics: string[], options: Partial<LocalSystemOptions> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-clusters-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'config.yaml'), 'prowjob_namespace: default\n');
  writeFileSync(path.join(dir, 'jobs.yaml'), `periodics:\n${periodics.join('')}`);
  const system = await startLocalSystem({
    configPaths: { configPath: path.join(dir, 'config.yaml'), jobConfigPath: path.join(dir, 'jobs.yaml') },
    dataDir: path.join(dir, 'data'),
    port: 0,
    env: {},
    log: memoryLogger(),
    tickMs: 3_600_000,
    ...options,
  });
  cleanups.push(() => system.stop());
  return system;
}

describe('cutwater local and build clusters', () => {
  it('starts no periodic of a cluster it does not run, a few per tick of the rest, and says both', async () => {
    const system = await start([periodic('p1'), periodic('p2'), periodic('p3'), periodic('elsewhere', 'build-a')], { maxPeriodicsPerTick: 2 });
    await waitFor(async () => (await system.store.jobs.list({})).jobs.length >= 2, 'the first tick');
    // The tick is over once both are created; a third would have been created in the same tick.
    await waitFor(async () => (await system.store.jobs.list({ state: 'success' })).jobs.length === 2, 'both to run');
    const jobs = (await system.store.jobs.list({})).jobs.map((stored) => stored.job.spec.job).sort();
    expect(jobs).toEqual(['p1', 'p2']);
    const banner = system.summary.join('\n');
    expect(banner).toContain('3 periodic(s), at most 2 started per tick (--max-periodics-per-tick N, 0 for no limit)');
    expect(banner).toContain('1 periodic(s) of clusters no runner serves are not started (--clusters)');
    expect(banner).toContain('jobs of cluster(s) build-a: add --clusters NAME,… or --clusters all');
  }, 60_000);

  it('runs the jobs of the clusters --clusters names on this machine', async () => {
    const system = await start([periodic('elsewhere', 'build-a'), periodic('further', 'build-b')], { clusters: 'all' });
    await waitFor(async () => (await system.store.jobs.list({ state: 'success' })).jobs.length === 2, 'both clusters\' periodics to succeed');
    expect(system.summary.join('\n')).toContain('clusters "default", "build-a", "build-b"');
    expect(system.summary.join('\n')).not.toContain('not run here');
  }, 60_000);

  it('says on the job page that no runner serves its cluster, and which flag to use', async () => {
    const system = await start([periodic('elsewhere', 'build-a')], { clusters: ['build-b'] });
    // The periodic is not started: make the job by hand, as mkpj or a rerun would.
    const token = (await import('node:fs')).readFileSync(system.apiTokenFile, 'utf8').trim();
    const job = {
      apiVersion: 'prow.k8s.io/v1',
      kind: 'ProwJob',
      metadata: { name: 'job-in-build-a' },
      spec: { type: 'periodic', job: 'elsewhere', cluster: 'build-a', agent: 'kubernetes' },
      status: { state: 'triggered', startTime: new Date().toISOString() },
    };
    const created = await fetch(`${system.url}/api/prowjobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(job),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-cutwater-unserved')).toBe('no runner serves cluster build-a; start local mode with --clusters build-a or all');
    const page = await (await fetch(`${system.url}/view/job-in-build-a`)).text();
    expect(page).toContain('<p class="notice" id="unserved" role="status">no runner serves cluster build-a; start local mode with --clusters build-a or all</p>');
    expect(page).not.toContain('Waiting for output');
  });
});
