import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { Pod } from 'kubernetes-models/v1';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { artifactsFromSidecarLog } from '../../../runner/executor/artifact-stream';
import { ARTIFACTS_CONTAINER, ARTIFACTS_SCRIPT, podForJob, wrapTestCommand } from '../../../runner/executor/pod';
import { executionStatusOfPod } from '../../../runner/executor/pod-status';
import { testProwJob } from '../../support/prowjobs';

/**
 * How a decorated pod hands $ARTIFACTS to a runner that may only read logs: the test command is
 * wrapped to mark its end, and a sidecar prints the artifacts as a base64 tar.
 */
describe('artifacts sidecar', () => {
  it('adds the sidecar and wraps the test command of a decorated job, keeping the pod valid', () => {
    const job = testProwJob();
    job.spec.decoration_config = { timeout: '1h' };
    const pod = podForJob(job, { namespace: 'test-pods', buildId: '1', cluster: 'default' });
    const [test, sidecar] = pod.spec?.containers ?? [];
    expect(test?.command).toEqual(['/bin/sh', '-c', expect.stringContaining('/logs/test-exit-code'), '--']);
    expect(test?.args).toEqual(['make', 'test', '--race']);
    expect(sidecar?.name).toBe(ARTIFACTS_CONTAINER);
    expect(() => new Pod(pod as ConstructorParameters<typeof Pod>[0]).validate()).not.toThrow();
  });

  it('passes the exit code through and prints the artifacts, for real in a shell', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'cutwater-sidecar-'));
    try {
      const logs = path.join(root, 'logs');
      mkdirSync(path.join(logs, 'artifacts', 'junit'), { recursive: true });
      const relocate = (text: string) => text.replaceAll('/logs', logs);
      const wrapped = wrapTestCommand(['sh', '-c'], ['echo "<testsuite/>" > "$ARTIFACTS/junit/junit_01.xml"; echo report > "$ARTIFACTS/report.txt"; exit 3']);
      const test = spawnSync(wrapped.command[0] ?? '', [...wrapped.command.slice(1).map(relocate), ...wrapped.args], {
        env: { ...process.env, ARTIFACTS: path.join(logs, 'artifacts') },
      });
      expect(test.status).toBe(3);
      expect(readFileSync(path.join(logs, 'test-exit-code'), 'utf8').trim()).toBe('3');
      const printed = execFileSync('sh', ['-c', relocate(ARTIFACTS_SCRIPT)], { encoding: 'utf8' });
      expect(await artifactsFromSidecarLog(`some earlier line\n${printed}`)).toEqual([
        { path: 'junit/junit_01.xml', content: Buffer.from('<testsuite/>\n') },
        { path: 'report.txt', content: Buffer.from('report\n') },
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('takes the job’s result from the test container while the sidecar is still printing', () => {
    const pod: V1Pod = {
      metadata: { name: 'job-1' },
      spec: { containers: [{ name: 'test', image: 'golang' }, { name: ARTIFACTS_CONTAINER, image: 'alpine/git' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'test', image: 'golang', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1 } } },
          { name: ARTIFACTS_CONTAINER, image: 'alpine/git', imageID: '', ready: true, restartCount: 0, state: { running: {} } },
        ],
      },
    };
    expect(executionStatusOfPod(pod)).toMatchObject({ phase: 'failed', description: 'Job failed: exit code 1.' });
  });

  it('ignores anything in the archive that could leave the job’s directory, and logs without an archive', async () => {
    const archive = pack();
    archive.entry({ name: '../escape.txt' }, 'no');
    archive.entry({ name: '/etc/passwd' }, 'no');
    archive.entry({ name: 'link', type: 'symlink', linkname: '/etc/passwd' });
    archive.entry({ name: './ok.txt' }, 'yes');
    archive.finalize();
    const chunks: Buffer[] = [];
    for await (const chunk of archive) chunks.push(Buffer.from(chunk as Uint8Array));
    const log = `--- cutwater artifacts (base64 tar) ---\n${Buffer.concat(chunks).toString('base64')}\n--- end of artifacts ---\n`;
    expect(await artifactsFromSidecarLog(log)).toEqual([{ path: 'ok.txt', content: Buffer.from('yes') }]);
    expect(await artifactsFromSidecarLog('no markers here')).toEqual([]);
  });
});
