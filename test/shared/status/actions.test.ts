import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../shared/log/logger';
import { newPresubmitJob } from '../../../shared/jobs/factory';
import type { Config } from '../../../shared/config/model';
import { rerunJob } from '../../../shared/status/actions';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { buildFromFiles, expectLoaded, yaml } from '../../support/config';

/** Deck's `/rerun`: which rerun_auth_config decides, the old run's or the job's current one. */

function configWith(allowed: string): Config {
  return expectLoaded(
    buildFromFiles({
      config: yaml(`{}`),
      jobs: {
        'jobs.yaml': yaml(`
          presubmits:
            acme/widgets:
            - name: unit
              always_run: true
              rerun_auth_config: {github_users: [${allowed}]}
              spec: {containers: [{image: node:22, command: [node, -e, "1"]}]}
        `),
      },
    }),
  );
}

const refs = {
  org: 'acme',
  repo: 'widgets',
  base_ref: 'main',
  base_sha: 'b'.repeat(40),
  pulls: [{ number: 7, author: 'dana', sha: 'a'.repeat(40) }],
};

let store: EmbeddedStore | undefined;

afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function setUp(): Promise<{ store: EmbeddedStore; current: Config }> {
  store = EmbeddedStore.open({ now: () => Date.parse('2026-11-20T10:00:00Z') });
  // The old run was made when only bob could rerun it; the config now names carol instead.
  const old = configWith('bob');
  const definition = old.presubmits.get('acme/widgets')![0]!;
  const job = newPresubmitJob(definition, refs, { name: 'unit-old', now: new Date('2026-11-20T09:00:00Z'), config: old });
  await store.jobs.create(job, { idempotencyKey: 'test/unit-old' });
  return { store, current: configWith('carol') };
}

async function rerun(login: string, mode: 'original' | 'latest') {
  const { store: jobs, current } = await setUp();
  return rerunJob(
    { store: jobs, config: current, log: memoryLogger(), now: () => Date.parse('2026-11-20T10:00:00Z') },
    { name: 'unit-old', login, mode, requestId: `${login}-${mode}`, visible: () => true },
  );
}

describe('rerun authorisation', () => {
  it('with mode=latest, asks the current job definition who may rerun', async () => {
    const allowed = await rerun('carol', 'latest');
    expect(allowed.ok).toBe(true);
    expect(allowed.ok && allowed.job.spec.rerun_auth_config).toEqual({ github_users: ['carol'] });
    const refused = await rerun('bob', 'latest');
    expect(refused).toMatchObject({ ok: false, status: 403 });
  });

  it('rerun as it was, asks the old run who may rerun', async () => {
    expect((await rerun('bob', 'original')).ok).toBe(true);
    expect(await rerun('carol', 'original')).toMatchObject({ ok: false, status: 403 });
  });
});
