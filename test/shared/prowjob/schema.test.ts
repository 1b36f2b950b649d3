import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { REPO_ROOT } from '../../support/config';
import {
  DecorationConfigSchema,
  PROW_JOB_STATES,
  PROW_JOB_TYPES,
  ProwJobListSchema,
  ProwJobSchema,
  ProwJobSpecSchema,
  ProwJobStatusSchema,
  PullSchema,
  RefsSchema,
} from '../../../shared/prowjob/schema';

/**
 * The ProwJob in Prow's JSON shape: Prow's samples and its CRD schema are the reference
 * (../shared/prow-config/prowjob-api, from sigs.k8s.io/prow).
 */

const API = path.resolve(REPO_ROOT, '../shared/prow-config/prowjob-api');

function readYaml(file: string): unknown {
  const full = path.join(API, file);
  if (!existsSync(full)) throw new Error(`missing Prow sample ${full} (../shared/prow-config/prowjob-api next to the repo)`);
  return parse(readFileSync(full, 'utf8'));
}

type Json = Record<string, unknown>;

function sample(file: string): Json {
  return readYaml(file) as Json;
}

/** A ProwJob as it would arrive from outside: JSON text, parsed. */
function viaJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

function issuesOf(value: unknown): { path: string; message: string }[] {
  const result = ProwJobSchema.safeParse(value);
  expect(result.success, 'expected the ProwJob to be rejected').toBe(false);
  return (result.error?.issues ?? []).map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

const SAMPLES = ['valid_prowjob.yaml', 'valid_bare_prowjob.yaml'] as const;

describe("Prow's sample ProwJobs", () => {
  for (const file of SAMPLES) {
    it(`parses ${file} and serialises it back to the same JSON`, () => {
      const original = sample(file);
      const parsed = ProwJobSchema.parse(original);
      expect(viaJson(parsed)).toEqual(viaJson(original));
      // And once more through JSON text, as Firestore and Pub/Sub carry it.
      expect(viaJson(ProwJobSchema.parse(viaJson(parsed)))).toEqual(viaJson(original));
    });
  }

  it('keeps the fields that make these samples what they are', () => {
    const full = ProwJobSchema.parse(sample('valid_prowjob.yaml'));
    expect(full.metadata.labels?.['prow.k8s.io/type']).toBe('periodic');
    expect(full.metadata.labels?.['prow.k8s.io/refs.org']).toBe('kubernetes');
    expect(full.metadata.annotations?.['prow.k8s.io/job']).toBe('ci-k8s-infra-build-cluster-prow-build');
    expect(full.metadata.generation).toBe(7);
    expect(full.spec.type).toBe('periodic');
    expect(full.spec.agent).toBe('tekton-pipeline');
    expect(full.spec.extra_refs?.[0]).toEqual({ base_ref: 'master', org: 'kubernetes', repo: 'test-infra' });
    expect(full.spec.decoration_config?.timeout).toBe('2h0m0s');
    expect(full.spec.decoration_config?.utility_images?.clonerefs).toBe('localhost:5001/clonerefs-ssl-disabled:latest');
    expect(full.spec.prowjob_defaults?.tenant_id).toBe('GlobalDefaultID');
    expect((full.spec.pod_spec?.containers as Json[] | undefined)?.[0]?.name).toBe('');

    const bare = ProwJobSchema.parse(sample('valid_bare_prowjob.yaml'));
    expect(bare.spec.decoration_config).toBeUndefined();
    expect('status' in bare).toBe(false);
  });

  it('does not add defaults while parsing', () => {
    const minimal = { metadata: { name: 'x' }, spec: { job: 'j', type: 'periodic' } };
    expect(viaJson(ProwJobSchema.parse(minimal))).toEqual(minimal);
  });

  it('round-trips a finished presubmit with status, pulls and report states', () => {
    const job = {
      apiVersion: 'prow.k8s.io/v1',
      kind: 'ProwJob',
      metadata: {
        name: '5b6e0c8e-1f43-11ef-9d3e-0a58a9feac02',
        namespace: 'default',
        labels: {
          'prow.k8s.io/job': 'pull-test-infra-unit',
          'prow.k8s.io/type': 'presubmit',
          'prow.k8s.io/refs.org': 'kubernetes',
          'prow.k8s.io/refs.repo': 'test-infra',
          'prow.k8s.io/refs.pull': '123',
        },
        annotations: { 'prow.k8s.io/context': 'pull-test-infra-unit' },
        creationTimestamp: '2024-05-30T10:00:00Z',
      },
      spec: {
        type: 'presubmit',
        agent: 'kubernetes',
        cluster: 'default',
        namespace: 'test-pods',
        job: 'pull-test-infra-unit',
        refs: {
          org: 'kubernetes',
          repo: 'test-infra',
          repo_link: 'https://github.com/kubernetes/test-infra',
          base_ref: 'master',
          base_sha: '0123456789abcdef0123456789abcdef01234567',
          pulls: [
            {
              number: 123,
              author: 'alice',
              sha: 'fedcba9876543210fedcba9876543210fedcba98',
              title: 'Fix the thing',
              head_ref: 'fix-thing',
            },
          ],
        },
        report: true,
        context: 'pull-test-infra-unit',
        rerun_command: '/test pull-test-infra-unit',
        pod_spec: { containers: [{ image: 'golang:1.22', command: ['make', 'test'] }] },
        reporter_config: { slack: { channel: '#ci', job_states_to_report: ['failure', 'error'] } },
      },
      status: {
        startTime: '2024-05-30T10:00:00Z',
        pendingTime: '2024-05-30T10:00:05Z',
        completionTime: '2024-05-30T10:05:00Z',
        state: 'failure',
        description: 'Job failed.',
        url: 'https://prow.example/view/gs/bucket/pr-logs/pull/kubernetes_test-infra/123/pull-test-infra-unit/1796',
        pod_name: '5b6e0c8e-1f43-11ef-9d3e-0a58a9feac02',
        build_id: '1796',
        prev_report_states: { 'github-reporter': 'failure', 'slackreporter': 'pending' },
      },
    };
    expect(viaJson(ProwJobSchema.parse(job))).toEqual(job);
    expect(viaJson(ProwJobListSchema.parse({ items: [job, sample('valid_bare_prowjob.yaml')] }))).toEqual(
      viaJson({ items: [job, sample('valid_bare_prowjob.yaml')] }),
    );
  });
});

describe('invalid ProwJobs are rejected with the path of the fault', () => {
  const valid = () => structuredClone(sample('valid_prowjob.yaml'));

  it('rejects an unknown state ("running") at status.state', () => {
    const job = valid();
    job.status = { state: 'running', startTime: '2024-01-01T00:00:00Z' };
    expect(issuesOf(job)).toEqual([expect.objectContaining({ path: 'status.state' })]);
    expect(issuesOf(job)[0]!.message).toMatch(/triggered/);
  });

  it('rejects a ProwJob without metadata', () => {
    const job = valid();
    delete job.metadata;
    expect(issuesOf(job)).toEqual([expect.objectContaining({ path: 'metadata' })]);
  });

  it('rejects an unknown job type at spec.type', () => {
    const job = valid();
    (job.spec as Json).type = 'nightly';
    expect(issuesOf(job)).toEqual([expect.objectContaining({ path: 'spec.type' })]);
  });

  it('rejects a pull without a number, deep inside refs', () => {
    const job = valid();
    (job.spec as Json).refs = { org: 'o', repo: 'r', pulls: [{ author: 'a', sha: 'abc' }] };
    expect(issuesOf(job)).toEqual([expect.objectContaining({ path: 'spec.refs.pulls.0.number' })]);
  });

  it('rejects a wrong apiVersion or kind', () => {
    expect(issuesOf({ ...valid(), apiVersion: 'prow.k8s.io/v2' })).toEqual([expect.objectContaining({ path: 'apiVersion' })]);
    expect(issuesOf({ ...valid(), kind: 'Pod' })).toEqual([expect.objectContaining({ path: 'kind' })]);
  });

  it('rejects a negative max_concurrency (the CRD says minimum 0)', () => {
    const job = valid();
    (job.spec as Json).max_concurrency = -1;
    expect(issuesOf(job)).toEqual([expect.objectContaining({ path: 'spec.max_concurrency' })]);
  });
});

describe("Prow's CRD schema", () => {
  const crd = readYaml('prowjob_customresourcedefinition.yaml') as {
    spec: { versions: { schema: { openAPIV3Schema: CrdSchema } }[] };
  };
  interface CrdSchema {
    properties?: Record<string, CrdSchema>;
    items?: CrdSchema;
    required?: string[];
    enum?: string[];
  }
  const root = crd.spec.versions[0]!.schema.openAPIV3Schema;
  const spec = root.properties!.spec!;
  const status = root.properties!.status!;

  it('has the same job states and job types', () => {
    expect([...PROW_JOB_STATES].sort()).toEqual([...status.properties!.state!.enum!].sort());
    expect([...PROW_JOB_TYPES].sort()).toEqual([...spec.properties!.type!.enum!].sort());
  });

  it('knows every field the CRD declares, so no field of a real ProwJob is dropped', () => {
    const shapes: [string, CrdSchema, z.ZodObject][] = [
      ['spec', spec, ProwJobSpecSchema],
      ['status', status, ProwJobStatusSchema],
      ['spec.refs', spec.properties!.refs!, RefsSchema],
      ['spec.refs.pulls[]', spec.properties!.refs!.properties!.pulls!.items!, PullSchema],
      ['spec.decoration_config', spec.properties!.decoration_config!, DecorationConfigSchema],
    ];
    for (const [where, crdPart, schema] of shapes) {
      const missing = Object.keys(crdPart.properties ?? {}).filter((field) => !(field in schema.shape));
      expect(missing, `${where} fields missing from our schema`).toEqual([]);
    }
  });

  it('requires what the CRD requires in refs and pulls', () => {
    const job = sample('valid_bare_prowjob.yaml');
    const refsRequired = spec.properties!.refs!.required ?? [];
    const pullRequired = spec.properties!.refs!.properties!.pulls!.items!.required ?? [];
    expect(refsRequired).toEqual(expect.arrayContaining(['org', 'repo']));
    expect(pullRequired).toEqual(expect.arrayContaining(['number', 'author', 'sha']));
    for (const field of refsRequired) {
      const refs: Json = { org: 'o', repo: 'r' };
      delete refs[field];
      const paths = issuesOf({ ...job, spec: { ...(job.spec as Json), refs } }).map((issue) => issue.path);
      expect(paths).toEqual([`spec.refs.${field}`]);
    }
    for (const field of pullRequired) {
      const pull: Json = { number: 1, author: 'a', sha: 'abc' };
      delete pull[field];
      const refs = { org: 'o', repo: 'r', pulls: [pull] };
      expect(issuesOf({ ...job, spec: { ...(job.spec as Json), refs } }).map((issue) => issue.path)).toEqual([
        `spec.refs.pulls.0.${field}`,
      ]);
    }
  });

  it('requires spec.job and spec.type, as the CRD does', () => {
    expect(spec.required).toEqual(expect.arrayContaining(['job', 'type']));
    const job = sample('valid_bare_prowjob.yaml');
    for (const field of ['job', 'type']) {
      const broken = structuredClone(job);
      delete (broken.spec as Json)[field];
      expect(issuesOf(broken).map((issue) => issue.path)).toEqual([`spec.${field}`]);
    }
  });

  it('requires status.state when there is a status, and completionTime once the job succeeded, failed or errored', () => {
    expect(status.required).toEqual(['state']);
    const job = sample('valid_bare_prowjob.yaml');
    expect(issuesOf({ ...job, status: { startTime: '2024-01-01T00:00:00Z' } }).map((issue) => issue.path)).toEqual([
      'status.state',
    ]);
    for (const state of ['success', 'failure', 'error']) {
      expect(issuesOf({ ...job, status: { state, startTime: '2024-01-01T00:00:00Z' } }).length).toBeGreaterThan(0);
    }
    for (const state of ['triggered', 'pending', 'aborted']) {
      expect(ProwJobSchema.safeParse({ ...job, status: { state, startTime: '2024-01-01T00:00:00Z' } }).success).toBe(true);
    }
  });
});
