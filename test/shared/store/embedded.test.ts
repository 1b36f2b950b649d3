import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { OUTBOX_RETENTION_MS } from '../../../shared/store/outbox';
import { testProwJob } from '../../support/prowjobs';
import { REPO_ROOT } from '../../support/config';

/** Local mode's store survives restarts and crashes: what it acknowledged is there afterwards. */
describe('embedded store across restarts', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-restart-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps jobs, leases, deliveries, periodic runs and reports after a clean restart', async () => {
    const dir = dataDir();
    const first = EmbeddedStore.open({ dataDir: dir });
    const job = testProwJob({ pull: 3 });
    await first.jobs.create(job, { idempotencyKey: 'delivery-1/unit' });
    const claim = await first.jobs.claim(job.metadata.name ?? '', { cluster: 'default', holder: 'runner-a', ttlMs: 3_600_000 });
    if (!claim) throw new Error('claim failed');
    await first.jobs.update(job.metadata.name ?? '', { state: 'pending', status: { pod_name: 'pod-1' } }, { lease: claim.lease });
    await first.deliveries.recordAccepted('delivery-1');
    await first.deliveries.claimProcessing('delivery-2', 'events-a', 60_000);
    await first.periodics.advance({ job: 'nightly', lastRunAt: 5_000 }, undefined);
    await first.jobs.markReported(job.metadata.name ?? '', undefined, { 'github-status:unit': { state: 'pending', reportedAt: 1 } });
    await first.close();

    const second = EmbeddedStore.open({ dataDir: dir });
    const stored = await second.jobs.get(job.metadata.name ?? '');
    expect(stored?.job.status).toMatchObject({ state: 'pending', pod_name: 'pod-1' });
    expect(stored?.lease?.holder).toBe('runner-a');
    expect((await second.jobs.list({ repo: 'acme/widgets', pull: 3 })).jobs).toHaveLength(1);
    expect((await second.jobs.create(testProwJob(), { idempotencyKey: 'delivery-1/unit' })).created).toBe(false);
    expect(await second.deliveries.isAccepted('delivery-1')).toBe(true);
    expect((await second.deliveries.claimProcessing('delivery-2', 'events-b', 60_000)).outcome).toBe('held');
    expect((await second.periodics.get('nightly'))?.lastRunAt).toBe(5_000);
    expect(stored?.reported).toEqual({ 'github-status:unit': { state: 'pending', reportedAt: 1 } });
    await second.close();
  });

  it('has every acknowledged write after the process is killed mid-stream, and refuses a second owner meanwhile', async () => {
    const dir = dataDir();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/support/store-writer.ts'), dir], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const acknowledged: string[] = [];
    const lines = createInterface({ input: child.stdout });
    let ready = false;
    await new Promise<void>((resolve, reject) => {
      child.on('exit', (code) => reject(new Error(`writer exited early with code ${code}: ${errors}`)));
      lines.on('line', (line) => {
        if (line === 'ready') {
          ready = true;
          return;
        }
        acknowledged.push(line);
        if (acknowledged.length >= 400) resolve();
      });
    });
    expect(ready).toBe(true);
    expect(() => EmbeddedStore.open({ dataDir: dir })).toThrow(/in use by process/);
    child.removeAllListeners('exit');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const reopened = EmbeddedStore.open({ dataDir: dir });
    for (const name of acknowledged) expect(await reopened.jobs.get(name), name).toBeDefined();
    const all = await reopened.jobs.list({}, { limit: 1000 });
    expect(all.jobs.length).toBeGreaterThanOrEqual(acknowledged.length);
    expect((await reopened.jobs.create(testProwJob(), { idempotencyKey: 'after-crash' })).created).toBe(true);
    await reopened.close();
  });

  it('forgets settled outbox writes past retention when it compacts its journal, and keeps the waiting ones', async () => {
    const dir = dataDir();
    let now = Date.UTC(2026, 10, 24, 12);
    const store = EmbeddedStore.open({ dataDir: dir, now: () => now, fsync: false });
    const comment = { kind: 'createComment', owner: 'acme', repo: 'widgets', number: 1, body: 'hi' } as const;
    await store.outbox.enqueue([
      { id: 'old-write', installation: '1', write: { ...comment, body: 'sent long ago' }, cause: 'test' },
      { id: 'waiting-write', installation: '1', write: comment, cause: 'test' },
    ]);
    const first = await store.outbox.claimWriter('1', 'writer', 60_000);
    if (!first) throw new Error('claim refused');
    await store.outbox.take(first, { limit: 1 });
    await store.outbox.settle(first, [{ id: 'old-write', result: 'sent', commentId: 5 }], [now]);

    now += OUTBOX_RETENTION_MS;
    const lease = await store.outbox.claimWriter('1', 'writer', 60_000);
    if (!lease) throw new Error('claim refused');
    // Heartbeats add journal records without adding state: enough of them make the journal compact.
    await Promise.all(Array.from({ length: 20_050 }, () => store.outbox.renewWriter(lease, 60_000)));
    await store.close();

    const snapshot = readFileSync(path.join(dir, 'store.snapshot.jsonl'), 'utf8');
    expect(snapshot).not.toContain('old-write');
    expect(snapshot).toContain('waiting-write');
    const reopened = EmbeddedStore.open({ dataDir: dir, now: () => now });
    expect(await reopened.outbox.get('1', 'waiting-write')).toMatchObject({ state: 'pending' });
    expect(await reopened.outbox.get('1', 'old-write')).toBeUndefined();
    expect(await reopened.outbox.claimWriter('1', 'another-writer', 60_000)).toBeUndefined();
    expect((await reopened.outbox.stats())[0]).toMatchObject({ depth: 1, writer: { holder: 'writer' } });
    await reopened.close();
  });

  it('drops a record torn by a crash mid-write, and says where a damaged journal is damaged', async () => {
    const dir = dataDir();
    const store = EmbeddedStore.open({ dataDir: dir });
    const job = testProwJob();
    await store.jobs.create(job, { idempotencyKey: 'k' });
    await store.close();
    appendFileSync(path.join(dir, 'store.log.jsonl'), '{"kind":"job","name":"half-writ');
    const reopened = EmbeddedStore.open({ dataDir: dir });
    expect(await reopened.jobs.get(job.metadata.name ?? '')).toBeDefined();
    await reopened.jobs.create(testProwJob(), { idempotencyKey: 'k2' });
    await reopened.close();
    expect((await (async () => {
      const again = EmbeddedStore.open({ dataDir: dir });
      const count = (await again.jobs.list({})).jobs.length;
      await again.close();
      return count;
    })())).toBe(2);

    appendFileSync(path.join(dir, 'store.log.jsonl'), 'not json\n{"kind":"delivery","id":"x","expireAt":null}\n');
    expect(() => EmbeddedStore.open({ dataDir: dir })).toThrow(/store\.log\.jsonl:\d+: unreadable journal record/);
  });
});
