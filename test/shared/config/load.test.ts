import { existsSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/load';
import { type Config, countJobs, type Periodic, type Postsubmit, type Presubmit } from '../../../shared/config/model';
import { buildFromFiles, corpusPaths, expectLoaded, yaml } from '../../support/config';
import { useTempTrees } from '../../support/files';

/**
 * Loading and defaulting, with Prow's meaning (pkg/config: defaultPresubmitFields,
 * defaultJobBase, mergePreset, mergeDefaultDecorationConfig, ReadJobConfig).
 */

function mustBuild(jobs: string | Record<string, string>, config = '', strict = false): Config {
  return expectLoaded(buildFromFiles({ config, jobs: typeof jobs === 'string' ? { 'jobs/jobs.yaml': jobs } : jobs }, strict));
}

function presubmitNamed(config: Config, name: string, repo = 'org/repo'): Presubmit {
  const job = config.presubmits.get(repo)?.find((candidate) => candidate.name === name);
  if (!job) throw new Error(`no presubmit ${name} in ${repo}`);
  return job;
}

function postsubmitNamed(config: Config, name: string, repo = 'org/repo'): Postsubmit {
  const job = config.postsubmits.get(repo)?.find((candidate) => candidate.name === name);
  if (!job) throw new Error(`no postsubmit ${name} in ${repo}`);
  return job;
}

function periodicNamed(config: Config, name: string): Periodic {
  const job = config.periodics.find((candidate) => candidate.name === name);
  if (!job) throw new Error(`no periodic ${name}`);
  return job;
}

interface Container {
  name?: string;
  image?: string;
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

function containersOf(job: Presubmit | Postsubmit | Periodic): Container[] {
  return (job.spec?.containers ?? []) as Container[];
}

function envNames(container: Container | undefined): string[] {
  return (container?.env ?? []).map((env) => env.name);
}

const POD = 'spec: {containers: [{image: alpine, command: [make]}]}';

/** Complete decoration defaults, as Prow requires for any decorated job. */
const DECORATION_BASE =
  "{timeout: 2h, grace_period: 15m, gcs_credentials_secret: base-secret, utility_images: {clonerefs: 'clonerefs:base', " +
  "initupload: 'initupload:base', entrypoint: 'entrypoint:base', sidecar: 'sidecar:base'}, " +
  'gcs_configuration: {bucket: base-bucket, path_strategy: explicit}}';

describe('the kubernetes/test-infra corpus', () => {
  let config: Config;

  let corpusJobs: string;

  beforeAll(async () => {
    const { configPath, jobConfigPath } = corpusPaths();
    corpusJobs = jobConfigPath;
    config = expectLoaded(await loadConfig({ configPath, jobConfigPath }));
  });

  it('loads every job of the 602 files', () => {
    expect(countJobs(config)).toEqual({ presubmits: 2261, postsubmits: 253, periodics: 1335 });
    expect(config.podNamespace).toBe('test-pods');
    expect(config.prowJobNamespace).toBe('default');
  });

  it('defaults a real presubmit as Prow does: context, trigger, namespace, decoration, presets', () => {
    const job = presubmitNamed(config, 'pull-test-infra-gubernator', 'kubernetes/test-infra');
    expect(job.source.file).toBe(path.join(corpusJobs, 'kubernetes/test-infra/test-infra-presubmits.yaml'));
    expect(job.source.line).toBe(3);
    expect(job.context).toBe('pull-test-infra-gubernator');
    expect(job.trigger).toBe('(?m)^/test( | .* )pull-test-infra-gubernator,?($|\\s.*)');
    expect(job.rerun_command).toBe('/test pull-test-infra-gubernator');
    expect(job.cluster).toBe('eks-prow-build-cluster');
    expect(job.namespace).toBe('test-pods');
    expect(job.agent).toBe('kubernetes');
    expect(job.decorate).toBe(true);
    expect(job.decoration_config).toMatchObject({
      timeout: '2h',
      grace_period: '15m',
      gcs_credentials_secret: 'service-account',
      blobless_fetch: true,
      utility_images: { clonerefs: 'us-docker.pkg.dev/k8s-infra-prow/images/clonerefs:v20260821-a61940897' },
      gcs_configuration: { bucket: 'kubernetes-ci-logs', path_strategy: 'legacy' },
    });
    // Its own env first, then preset-service-account, then the three label-less presets of config.yaml.
    const [container] = containersOf(job);
    expect(envNames(container)).toEqual([
      'WORKSPACE',
      'GOOGLE_APPLICATION_CREDENTIALS',
      'E2E_GOOGLE_APPLICATION_CREDENTIALS',
      'GOOGLE_APPLICATION_CREDENTIALS_DEPRECATED',
      'GOPROXY',
      'GOTOOLCHAIN',
      'AWS_ROLE_SESSION_NAME',
    ]);
    expect(container?.volumeMounts).toEqual([{ name: 'service', mountPath: '/etc/service-account', readOnly: true }]);
    expect(job.spec?.volumes).toEqual([{ name: 'service', secret: { secretName: 'service-account' } }]);
  });

  it('keeps a cluster-specific gcs_credentials_secret: "" over the default (a real Workload Identity entry)', () => {
    const job = periodicNamed(config, 'ci-k8s-infra-aks-build-cluster');
    expect(job.cluster).toBe('k8s-infra-aks-prow-build');
    expect(job.decoration_config?.gcs_credentials_secret).toBe('');
    expect(job.decoration_config?.timeout).toBe('2h');
    expect(job.schedule?.next(new Date('2024-01-01T00:01:00Z'))?.toISOString()).toBe('2024-01-01T00:05:00.000Z');
  });

  it("honours the corpus's .prowignore (sig-cloud-provider/gcp/registry is not job config)", () => {
    const ignored = path.join(corpusJobs, 'kubernetes/sig-cloud-provider/gcp/registry');
    expect(existsSync(path.join(ignored, 'default.yaml'))).toBe(true);
    const sources = [
      ...[...config.presubmits.values()].flat(),
      ...[...config.postsubmits.values()].flat(),
      ...config.periodics,
    ].map((job) => job.source.file);
    expect(sources.filter((file) => file.startsWith(ignored))).toEqual([]);
  });
});

describe('job defaults', () => {
  const jobs = yaml(`
    presubmits:
      org/repo:
      - name: pull-unit
        spec: {containers: [{image: alpine, command: [make]}]}
      - name: pull-e2e
        context: e2e / kind
        cluster: build-eu
        spec: {containers: [{image: alpine, command: [make]}]}
    postsubmits:
      org/repo:
      - name: post-deploy
        spec: {containers: [{image: alpine, command: [make]}]}
    periodics:
    - name: ci-nightly
      interval: 24h
      spec: {containers: [{image: alpine, command: [make]}]}
  `);

  it('defaults context to the name, and keeps an explicit context', () => {
    const config = mustBuild(jobs);
    expect(presubmitNamed(config, 'pull-unit').context).toBe('pull-unit');
    expect(presubmitNamed(config, 'pull-e2e').context).toBe('e2e / kind');
    expect(postsubmitNamed(config, 'post-deploy').context).toBe('post-deploy');
  });

  it("defaults trigger and rerun_command to Prow's /test command", () => {
    const job = presubmitNamed(mustBuild(jobs), 'pull-unit');
    expect(job.trigger).toBe('(?m)^/test( | .* )pull-unit,?($|\\s.*)');
    expect(job.rerun_command).toBe('/test pull-unit');
  });

  it('compiles the default trigger with Go semantics: the name anywhere among /test targets, on any line', () => {
    const trigger = presubmitNamed(mustBuild(jobs), 'pull-unit').matchers.trigger!;
    expect(trigger.test('/test pull-unit')).toBe(true);
    expect(trigger.test('/test pull-e2e pull-unit')).toBe(true);
    expect(trigger.test('/test pull-unit, pull-e2e')).toBe(true);
    expect(trigger.test('looks good\n/test pull-unit\nthanks')).toBe(true);
    expect(trigger.test('/test pull-unit-v2')).toBe(false);
    expect(trigger.test('/test xpull-unit')).toBe(false);
    expect(trigger.test('please /test pull-unit')).toBe(false);
    expect(trigger.test('/retest')).toBe(false);
  });

  it('keeps a custom trigger and rerun_command', () => {
    const config = mustBuild(
      yaml(`
        presubmits:
          org/repo:
          - name: pull-custom
            trigger: '(?m)^/verify\\s*$'
            rerun_command: /verify
            spec: {containers: [{image: alpine, command: [make]}]}
      `),
    );
    const job = presubmitNamed(config, 'pull-custom');
    expect(job.trigger).toBe('(?m)^/verify\\s*$');
    expect(job.rerun_command).toBe('/verify');
    expect(job.matchers.trigger?.test('lgtm\n/verify\n')).toBe(true);
    expect(job.matchers.trigger?.test('/test pull-custom')).toBe(false);
  });

  it('defaults agent to kubernetes, cluster to "default" and namespace to pod_namespace', () => {
    const config = mustBuild(jobs, 'pod_namespace: test-pods\nprowjob_namespace: prow\n');
    expect(config.podNamespace).toBe('test-pods');
    expect(config.prowJobNamespace).toBe('prow');
    const defaulted = [
      presubmitNamed(config, 'pull-unit'),
      postsubmitNamed(config, 'post-deploy'),
      periodicNamed(config, 'ci-nightly'),
    ];
    for (const job of defaulted) {
      expect(job.agent).toBe('kubernetes');
      expect(job.cluster).toBe('default');
      expect(job.namespace).toBe('test-pods');
      expect(job.decorate).toBe(false);
      expect(job.decoration_config).toBeUndefined();
    }
    expect(presubmitNamed(config, 'pull-e2e').cluster).toBe('build-eu');
  });

  it('uses the namespace "default" when config.yaml sets no pod_namespace', () => {
    const config = mustBuild(jobs);
    expect(config.podNamespace).toBe('default');
    expect(config.prowJobNamespace).toBe('default');
    expect(presubmitNamed(config, 'pull-unit').namespace).toBe('default');
  });

  it('records the repo, the file and the line of each job, in declaration order', () => {
    const config = mustBuild(jobs);
    expect(config.presubmits.get('org/repo')!.map((job) => [job.name, job.repo, job.source.file, job.source.line])).toEqual([
      ['pull-unit', 'org/repo', 'jobs/jobs.yaml', 3],
      ['pull-e2e', 'org/repo', 'jobs/jobs.yaml', 5],
    ]);
    expect(periodicNamed(config, 'ci-nightly').source).toEqual({ file: 'jobs/jobs.yaml', line: 14 });
  });

  it('compiles periodic schedules: cron in UTC, interval in milliseconds', () => {
    const config = mustBuild(
      yaml(`
        periodics:
        - name: ci-cron
          cron: "30 2 * * *"
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: ci-interval
          interval: 1h30m
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: ci-minimum
          minimum_interval: 45m
          spec: {containers: [{image: alpine, command: [make]}]}
      `),
    );
    expect(periodicNamed(config, 'ci-cron').schedule?.next(new Date('2024-03-10T12:00:00Z'))?.toISOString()).toBe(
      '2024-03-11T02:30:00.000Z',
    );
    expect(periodicNamed(config, 'ci-interval').intervalMs).toBe(90 * 60_000);
    expect(periodicNamed(config, 'ci-minimum').minimumIntervalMs).toBe(45 * 60_000);
  });

  it('loads jobs declared in config.yaml itself, alongside the job-config files', () => {
    const config = mustBuild(
      jobs,
      yaml(`
        presubmits:
          org/other:
          - name: pull-from-config
            spec: {containers: [{image: alpine, command: [make]}]}
      `),
    );
    expect(presubmitNamed(config, 'pull-from-config', 'org/other').source.file).toBe('config.yaml');
    expect(countJobs(config)).toEqual({ presubmits: 3, postsubmits: 1, periodics: 1 });
  });
});

describe('presets', () => {
  const presets = yaml(`
    presets:
    - env: [{name: EVERYWHERE, value: "1"}]
    - labels: {preset-cloud: "true"}
      env: [{name: CLOUD_CREDENTIALS, value: /etc/cloud/key.json}]
      volumes: [{name: cloud, secret: {secretName: cloud-key}}]
      volumeMounts: [{name: cloud, mountPath: /etc/cloud, readOnly: true}]
    - labels: {preset-region: eu, preset-tier: gold}
      env: [{name: REGION, value: eu}]
  `);
  const jobs = yaml(`
    presubmits:
      org/repo:
      - name: pull-cloud
        decorate: true
        labels: {preset-cloud: "true"}
        spec:
          containers:
          - name: test
            image: alpine
            command: [make]
            env: [{name: OWN, value: mine}]
          - name: helper
            image: alpine
            command: [sleep, "3600"]
      - name: pull-plain
        labels: {preset-cloud: "false"}
        spec: {containers: [{image: alpine, command: [make]}]}
      - name: pull-eu
        labels: {preset-cloud: "true", preset-region: eu, preset-tier: gold}
        spec: {containers: [{image: alpine, command: [make]}]}
    postsubmits:
      org/repo:
      - name: post-cloud
        labels: {preset-cloud: "true"}
        spec: {containers: [{image: alpine, command: [make]}]}
    periodics:
    - name: ci-region-only
      interval: 1h
      labels: {preset-region: eu}
      spec: {containers: [{image: alpine, command: [make]}]}
  `);
  const config = `plank:\n  default_decoration_config_entries:\n  - config: ${DECORATION_BASE}\n`;

  it('adds env and volume mounts to every container and volumes to the pod, after the job’s own', () => {
    const job = presubmitNamed(mustBuild({ 'jobs/presets.yaml': presets, 'jobs/repo.yaml': jobs }, config), 'pull-cloud');
    const [test, helper] = containersOf(job);
    expect(envNames(test)).toEqual(['OWN', 'EVERYWHERE', 'CLOUD_CREDENTIALS']);
    expect(envNames(helper)).toEqual(['EVERYWHERE', 'CLOUD_CREDENTIALS']);
    for (const container of [test, helper]) {
      expect(container?.volumeMounts).toEqual([{ name: 'cloud', mountPath: '/etc/cloud', readOnly: true }]);
    }
    expect(job.spec?.volumes).toEqual([{ name: 'cloud', secret: { secretName: 'cloud-key' } }]);
  });

  it('applies a preset only when the job has all of its labels; a preset without labels applies to all', () => {
    const loaded = mustBuild({ 'jobs/presets.yaml': presets, 'jobs/repo.yaml': jobs }, config);
    expect(envNames(containersOf(presubmitNamed(loaded, 'pull-plain'))[0])).toEqual(['EVERYWHERE']);
    expect(presubmitNamed(loaded, 'pull-plain').spec?.volumes).toBeUndefined();
    expect(envNames(containersOf(presubmitNamed(loaded, 'pull-eu'))[0])).toEqual(['EVERYWHERE', 'CLOUD_CREDENTIALS', 'REGION']);
    expect(envNames(containersOf(postsubmitNamed(loaded, 'post-cloud'))[0])).toEqual(['EVERYWHERE', 'CLOUD_CREDENTIALS']);
    expect(envNames(containersOf(periodicNamed(loaded, 'ci-region-only'))[0])).toEqual(['EVERYWHERE']);
  });

  it('applies presets declared in config.yaml to jobs in job-config files', () => {
    const loaded = mustBuild({ 'jobs/repo.yaml': jobs }, `${config}${presets}`);
    expect(envNames(containersOf(presubmitNamed(loaded, 'pull-eu'))[0])).toEqual(['EVERYWHERE', 'CLOUD_CREDENTIALS', 'REGION']);
    expect(loaded.presets).toHaveLength(3);
  });

  it('does not change the job as written: two jobs get their own copies of the presets', () => {
    const loaded = mustBuild({ 'jobs/presets.yaml': presets, 'jobs/repo.yaml': jobs }, config);
    const first = containersOf(presubmitNamed(loaded, 'pull-eu'))[0]!;
    const second = containersOf(postsubmitNamed(loaded, 'post-cloud'))[0]!;
    first.env!.push({ name: 'MUTATED', value: 'x' });
    expect(envNames(second)).toEqual(['EVERYWHERE', 'CLOUD_CREDENTIALS']);
  });
});

describe('decoration defaults', () => {
  const config = yaml(`
    plank:
      default_decoration_config_entries:
      - config: ${DECORATION_BASE}
      - repo: org
        config:
          timeout: 3h
          utility_images: {sidecar: 'sidecar:org'}
      - repo: org/special
        config:
          gcs_configuration: {bucket: special-bucket}
      - cluster: build-wi
        config:
          gcs_credentials_secret: ""
      - repo: other-org
        config:
          timeout: 9h
      - cluster: elsewhere
        config:
          grace_period: 1m
  `);
  const jobs = yaml(`
    presubmits:
      org/repo:
      - name: pull-org
        decorate: true
        spec: {containers: [{image: alpine, command: [make]}]}
      - name: pull-undecorated
        spec: {containers: [{image: alpine, command: [make]}]}
      org/special:
      - name: pull-special-wi
        decorate: true
        cluster: build-wi
        decoration_config:
          timeout: 5m
          utility_images: {entrypoint: 'entrypoint:job'}
        spec: {containers: [{image: alpine, command: [make]}]}
    postsubmits:
      other-org/repo:
      - name: post-other
        decorate: true
        spec: {containers: [{image: alpine, command: [make]}]}
    periodics:
    - name: ci-special
      interval: 1h
      decorate: true
      extra_refs: [{org: org, repo: special, base_ref: main}]
      spec: {containers: [{image: alpine, command: [make]}]}
    - name: ci-no-refs
      interval: 1h
      decorate: true
      spec: {containers: [{image: alpine, command: [make]}]}
  `);

  it('merges the matching entries in order (later wins) under the job’s own config', () => {
    const loaded = mustBuild(jobs, config);
    expect(presubmitNamed(loaded, 'pull-org').decoration_config).toEqual({
      timeout: '3h',
      grace_period: '15m',
      gcs_credentials_secret: 'base-secret',
      utility_images: {
        clonerefs: 'clonerefs:base',
        initupload: 'initupload:base',
        entrypoint: 'entrypoint:base',
        sidecar: 'sidecar:org',
      },
      gcs_configuration: { bucket: 'base-bucket', path_strategy: 'explicit' },
    });
  });

  it('filters entries by repo and cluster, keeps the job’s values and an explicit empty gcs_credentials_secret', () => {
    const job = presubmitNamed(mustBuild(jobs, config), 'pull-special-wi', 'org/special');
    expect(job.decoration_config).toEqual({
      timeout: '5m',
      grace_period: '15m',
      gcs_credentials_secret: '',
      utility_images: {
        clonerefs: 'clonerefs:base',
        initupload: 'initupload:base',
        entrypoint: 'entrypoint:job',
        sidecar: 'sidecar:org',
      },
      gcs_configuration: { bucket: 'special-bucket', path_strategy: 'explicit' },
    });
  });

  it('applies no entry of another org', () => {
    const job = postsubmitNamed(mustBuild(jobs, config), 'post-other', 'other-org/repo');
    expect(job.decoration_config?.timeout).toBe('9h');
    expect(job.decoration_config?.utility_images?.sidecar).toBe('sidecar:base');
    expect(job.decoration_config?.gcs_configuration?.bucket).toBe('base-bucket');
  });

  it('matches periodics on their first extra_ref, and only on catch-all entries without one', () => {
    const loaded = mustBuild(jobs, config);
    expect(periodicNamed(loaded, 'ci-special').decoration_config).toMatchObject({
      timeout: '3h',
      gcs_configuration: { bucket: 'special-bucket' },
      utility_images: { sidecar: 'sidecar:org' },
    });
    expect(periodicNamed(loaded, 'ci-no-refs').decoration_config).toMatchObject({
      timeout: '2h',
      gcs_configuration: { bucket: 'base-bucket' },
      utility_images: { sidecar: 'sidecar:base' },
    });
  });

  it('leaves undecorated jobs without a decoration config', () => {
    const job = presubmitNamed(mustBuild(jobs, config), 'pull-undecorated');
    expect(job.decorate).toBe(false);
    expect(job.decoration_config).toBeUndefined();
  });

  it('decorates every job that does not opt out when config.yaml sets decorate_all_jobs', () => {
    const all = mustBuild(
      yaml(`
        presubmits:
          org/repo:
          - name: pull-implicit
            spec: {containers: [{image: alpine, command: [make]}]}
          - name: pull-opt-out
            decorate: false
            spec: {containers: [{image: alpine, command: [make]}]}
          - name: pull-null
            decorate: null
            spec: {containers: [{image: alpine, command: [make]}]}
      `),
      `decorate_all_jobs: true\n${config}`,
    );
    expect(presubmitNamed(all, 'pull-implicit').decorate).toBe(true);
    expect(presubmitNamed(all, 'pull-implicit').decoration_config?.timeout).toBe('3h');
    expect(presubmitNamed(all, 'pull-opt-out').decorate).toBe(false);
    expect(presubmitNamed(all, 'pull-opt-out').decoration_config).toBeUndefined();
    expect(presubmitNamed(all, 'pull-null').decorate).toBe(true);
  });

  it('ignores decorate_all_jobs in a job-config file (Prow only reads it from config.yaml)', () => {
    const loaded = mustBuild(
      `decorate_all_jobs: true\npresubmits:\n  org/repo:\n  - name: pull-x\n    ${POD}\n`,
      config,
    );
    expect(presubmitNamed(loaded, 'pull-x').decorate).toBe(false);
  });

  it('orders the legacy default_decoration_configs map as Prow does: "*", then orgs, then repos', () => {
    const legacy = yaml(`
      plank:
        default_decoration_configs:
          org/repo: {timeout: 4h}
          org: {timeout: 2h, grace_period: 20s}
          '*': ${DECORATION_BASE}
    `);
    const job = presubmitNamed(
      mustBuild(
        `presubmits:\n  org/repo:\n  - name: pull-legacy\n    decorate: true\n    ${POD}\n`,
        legacy,
      ),
      'pull-legacy',
    );
    expect(job.decoration_config).toMatchObject({
      timeout: '4h',
      grace_period: '20s',
      gcs_credentials_secret: 'base-secret',
      utility_images: { clonerefs: 'clonerefs:base' },
    });
  });
});

describe('Go decoding of YAML (sigs.k8s.io/yaml into Go structs)', () => {
  it('matches field names case-insensitively, also inside pod specs and under --strict', () => {
    const loaded = mustBuild(
      yaml(`
        presubmits:
          org/repo:
          - NAME: pull-upper
            Always_Run: true
            Spec:
              Containers:
              - Image: alpine
                COMMAND: [make]
      `),
      '',
      true,
    );
    const job = presubmitNamed(loaded, 'pull-upper');
    expect(job.always_run).toBe(true);
    expect(job.context).toBe('pull-upper');
    expect(containersOf(job)).toEqual([{ image: 'alpine', command: ['make'] }]);
  });

  it('turns numbers and booleans given for string fields into their text', () => {
    const loaded = mustBuild(
      yaml(`
        presubmits:
          org/repo:
          - name: 1234
            labels: {size: 5, enabled: true}
            spec:
              containers:
              - image: alpine
                command: [sleep, 1000]
                env:
                - {name: COUNT, value: 1000}
                - {name: FLAG, value: true}
                - {name: RATIO, value: 1.5}
      `),
    );
    const job = presubmitNamed(loaded, '1234');
    expect(job.context).toBe('1234');
    expect(job.rerun_command).toBe('/test 1234');
    expect(job.labels).toEqual({ size: '5', enabled: 'true' });
    const [container] = containersOf(job);
    expect(container?.env).toEqual([
      { name: 'COUNT', value: '1000' },
      { name: 'FLAG', value: 'true' },
      { name: 'RATIO', value: '1.5' },
    ]);
    expect((container as { command?: unknown }).command).toEqual(['sleep', '1000']);
  });

  it('treats null and empty values as unset', () => {
    const loaded = mustBuild(
      yaml(`
        presubmits:
          org/repo:
          - name: pull-empty
            labels:
            branches: null
            annotations: {}
            context:
            spec: {containers: [{image: alpine, command: [make]}]}
      `),
      '',
      true,
    );
    const job = presubmitNamed(loaded, 'pull-empty');
    expect(job.labels ?? {}).toEqual({});
    expect(job.branches ?? []).toEqual([]);
    expect(job.context).toBe('pull-empty');
    expect(job.matchers.branches).toBeUndefined();
  });

  it('accepts an empty job-config file and empty sections', () => {
    const loaded = mustBuild({
      'jobs/empty.yaml': '',
      'jobs/comments.yaml': '# nothing yet\n',
      'jobs/sections.yaml': 'presubmits:\nperiodics: []\n',
    });
    expect(countJobs(loaded)).toEqual({ presubmits: 0, postsubmits: 0, periodics: 0 });
  });
});

describe('job-config files on disk', () => {
  const tree = useTempTrees('config-loading');

  const job = (name: string) =>
    `presubmits:\n  org/repo:\n  - name: ${name}\n    spec: {containers: [{image: alpine, command: [make]}]}\n`;

  async function loadTree(root: string, jobConfig = 'jobs', strict = true): Promise<Config> {
    return expectLoaded(
      await loadConfig({ configPath: path.join(root, 'config.yaml'), jobConfigPath: path.join(root, jobConfig) }, { strict }),
    );
  }

  function names(config: Config): string[] {
    return (config.presubmits.get('org/repo') ?? []).map((presubmit) => presubmit.name).sort();
  }

  it('walks directories recursively and reads .yaml and .yml files only', async () => {
    const root = tree({
      'config.yaml': '',
      'jobs/a.yaml': job('from-yaml'),
      'jobs/b.yml': job('from-yml'),
      'jobs/team/deep/c.yaml': job('from-deep'),
      'jobs/notes.txt': job('from-txt'),
      'jobs/d.json': job('from-json'),
      'jobs/e.yaml.bak': job('from-backup'),
    });
    expect(names(await loadTree(root))).toEqual(['from-deep', 'from-yaml', 'from-yml']);
  });

  it('honours .prowignore in the root and in subdirectories, with gitignore patterns', async () => {
    const root = tree({
      'config.yaml': '',
      'jobs/.prowignore': '# generated elsewhere\ndrafts/\n*.skip.yaml\n',
      'jobs/kept.yaml': job('kept'),
      'jobs/old.skip.yaml': job('skipped-by-glob'),
      'jobs/drafts/draft.yaml': job('skipped-dir'),
      'jobs/team/.prowignore': 'local.yaml\n',
      'jobs/team/local.yaml': 'this: is [not job config\n',
      'jobs/team/team.yaml': job('team'),
      'jobs/team/sub/nested.skip.yaml': job('skipped-by-inherited-glob'),
      'jobs/local.yaml': job('local-outside-team'),
    });
    expect(names(await loadTree(root))).toEqual(['kept', 'local-outside-team', 'team']);
  });

  it('skips files and directories whose names start with ".." (Kubernetes ConfigMap internals)', async () => {
    const root = tree({
      'config.yaml': '',
      'jobs/..2024_01_01/jobs.yaml': job('from-timestamp-dir'),
      'jobs/..hidden.yaml': job('from-dotdot-file'),
      'jobs/.hidden.yaml': job('from-dot-file'),
      'jobs/visible.yaml': job('visible'),
    });
    expect(names(await loadTree(root))).toEqual(['from-dot-file', 'visible']);
  });

  it('loads a ConfigMap-style mount (symlinks through ..data) once per job', async () => {
    const root = tree({ 'config.yaml': '', 'jobs/..2024_01_01_00_00_00.1/jobs.yaml': job('mounted') });
    symlinkSync('..2024_01_01_00_00_00.1', path.join(root, 'jobs/..data'));
    symlinkSync('..data/jobs.yaml', path.join(root, 'jobs/jobs.yaml'));
    const loaded = await loadTree(root);
    expect(names(loaded)).toEqual(['mounted']);
  });

  it('accepts a single file as the job-config path', async () => {
    const root = tree({ 'config.yaml': '', 'jobs/one.yaml': job('only-this'), 'jobs/two.yaml': job('not-this') });
    expect(names(await loadTree(root, 'jobs/one.yaml'))).toEqual(['only-this']);
  });

  it('accepts the prow_ignored key anywhere Prow does, even under --strict', async () => {
    const root = tree({
      'config.yaml': 'prow_ignored:\n  owner: config-tool\npod_namespace: test-pods\n',
      'jobs/a.yaml': `${job('with-ignored')}prow_ignored:\n  generator: {name: tool, version: 3}\n  list: [1, 2]\n`,
    });
    const loaded = await loadTree(root, 'jobs', true);
    expect(names(loaded)).toEqual(['with-ignored']);
    expect(loaded.podNamespace).toBe('test-pods');
  });

  it('does not count an ignored file towards the unique-basename rule', async () => {
    const root = tree({
      'config.yaml': '',
      'jobs/jobs.yaml': job('top'),
      'jobs/old/.prowignore': '*\n',
      'jobs/old/jobs.yaml': job('old'),
    });
    expect(names(await loadTree(root))).toEqual(['top']);
  });

  it('applies presets in Prow’s walk order (directory entries by name, depth first)', async () => {
    // filepath.Walk visits jobs/a/x.yaml before jobs/a-b.yaml ("a" sorts before "a-b").
    const preset = (env: string) => `presets:\n- env: [{name: ${env}, value: "1"}]\n`;
    const root = tree({
      'config.yaml': '',
      'jobs/a-b.yaml': preset('FROM_A_DASH_B'),
      'jobs/a/x.yaml': preset('FROM_A_SLASH_X'),
      'jobs/z.yaml': job('pull-order'),
    });
    const loaded = await loadTree(root);
    expect(envNames(containersOf(presubmitNamed(loaded, 'pull-order'))[0])).toEqual(['FROM_A_SLASH_X', 'FROM_A_DASH_B']);
  });
});
