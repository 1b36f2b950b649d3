import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DiskArtifactStore } from '../../../../shared/artifacts/disk';
import { staticConfigSource } from '../../../../shared/config/config-source';
import type { InstallationBudget } from '../../../../shared/github/budget';
import { newPeriodicJob } from '../../../../shared/jobs/factory';
import { memoryLogger } from '../../../../shared/log/logger';
import { statusAuthFromEnv } from '../../../../shared/status/auth/from-env';
import { statusListener } from '../../../../shared/status/http';
import type { StatusDependencies } from '../../../../shared/status/status-request';
import type { Config } from '../../../../shared/config/model';
import {
  healthBody,
  healthReport,
  writeLimitsOfWindows,
  type HealthInput,
  type HealthReport,
} from '../../../../shared/status/pages/health';
import type { OutboxStats } from '../../../../shared/store/outbox';
import type { RunnerPresence } from '../../../../shared/store/runners';
import type { StoredJob } from '../../../../shared/store/store';
import { testProwJob } from '../../../support/prowjobs';
import { EmbeddedStore } from '../../../../shared/store/embedded';
import { buildFromFiles, expectLoaded, yaml } from '../../../support/config';
import { serveListener } from '../../../support/listener-server';
import { byMetric, monitoringPoint, PERMISSION_DENIED, startFakeMonitoring, subscriptionSeries, type FakeMonitoring } from '../../../support/fake-monitoring';
import { monitoringBacklogReader, type MeasuredBacklog } from '../../../../shared/bus/monitoring-backlog';

/**
 * The health page: what someone asking "is Cutwater well, and how much GitHub budget is left?"
 * reads — each component's state, and per installation the rate limit, the requests and 304s,
 * and the write outbox's pace, queue and blocks, with the rows that need attention marked in
 * words. Rendered from hand-made readings, and served over HTTP from the real embedded store.
 */

const NOW = Date.parse('2026-11-20T10:00:00Z');
const LIMITS = { perMinute: 80, perHour: 500 };
const HOSTILE = '<img src=x onerror=alert(1)>';

function stats(installation: string, overrides: Partial<OutboxStats> = {}): OutboxStats {
  return { installation, depth: 0, saved: 0, sentLastMinute: 0, sentLastHour: 0, failed: 0, ...overrides };
}

function budget(identity: string, overrides: Partial<InstallationBudget> = {}): InstallationBudget {
  const installationId = /^installation-(\d+)$/.exec(identity)?.[1];
  return {
    identity,
    ...(installationId ? { installationId: Number(installationId) } : {}),
    primary: [],
    requests: 0,
    notModified: 0,
    secondaryLimited: 0,
    ...overrides,
  };
}

function core(remaining: number, resetAt = NOW + 30 * 60_000): InstallationBudget['primary'][number] {
  return { resource: 'core', limit: 5000, remaining, used: 5000 - remaining, resetAt: new Date(resetAt).toISOString() };
}

function input(overrides: Partial<HealthInput> = {}): HealthInput {
  return {
    now: NOW,
    config: { counts: { presubmits: 3, postsubmits: 1, periodics: 2 }, readsSnapshots: false },
    store: { readMs: 1.5 },
    running: { jobs: [], complete: true },
    presence: { runners: [] },
    intake: { lastMinute: 0, lastHour: 0 },
    outbox: { stats: [] },
    scheduler: { last: { startedAt: NOW - 30_000, finishedAt: NOW - 29_000, summary: { 'periodics started': 1 }, failed: [] } },
    reporter: {},
    budget: [],
    writeLimits: LIMITS,
    ...overrides,
  };
}

function render(report: HealthReport): string {
  return String(healthBody(report, LIMITS));
}

/** What a reader sees: tags dropped, character references decoded. */
function text(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/\s+/g, ' ')
    .replace(/ ([.,;)])/g, '$1');
}

/** The installations table's row whose header names `name`, with the row saying why it needs attention. */
function row(html: string, name: string): string {
  const rows = [...html.matchAll(/<tr[^>]*><th scope="row">[\s\S]*?<\/tr>(\n<tr class="attention why">[\s\S]*?<\/tr>)?/g)].map((match) => match[0]);
  const found = rows.find((candidate) => text(/<th scope="row">([\s\S]*?)<\/th>/.exec(candidate)?.[1] ?? '').trim().startsWith(name));
  if (!found) throw new Error(`no row for ${name} in:\n${html}`);
  return found;
}

describe('the budget per installation', () => {
  const report = healthReport(
    input({
      outbox: {
        stats: [
          stats('4242', { depth: 7, oldestEnqueuedAt: NOW - 20_000, saved: 9, failed: 2, sentLastMinute: 12, sentLastHour: 300, writer: { holder: 'events-abc', expiresAt: NOW + 25_000 } }),
          stats('token', { depth: 0, sentLastHour: 4 }),
          stats('99'),
        ],
      },
      budget: [
        budget('installation-4242', { primary: [core(4200), { resource: 'search', limit: 30, remaining: 29, used: 1, resetAt: new Date(NOW + 60_000).toISOString() }], requests: 1234, notModified: 345 }),
        budget('token-0123456789abcdef', { primary: [core(4999)], requests: 3, notModified: 1 }),
        budget('app-7', { requests: 2 }),
      ],
    }),
  );
  const page = render(report);

  it('joins what GitHub answered and what the outbox sent into one row per installation', () => {
    expect(report.installations.map((installation) => installation.installation)).toEqual(['99', '4242', 'app-7', 'token']);
    const cells = text(row(page, 'installation 4242'));
    expect(cells).toContain('core 4,200 of 5,000 left');
    expect(cells).toContain('search 29 of 30 left');
    expect(cells).toContain('1,234');
    expect(cells).toContain('345');
    expect(cells).toContain('12 of 80');
    expect(cells).toContain('300 of 500');
    expect(cells).toMatch(/ 7 20s 9 2 /);
    expect(cells).toContain('events-abc until 10:00:25 UTC (in 25s)');
    expect(cells).toContain('✔ ok');
  });

  it('shows when each rate limit resets, with its time zone and how far off it is', () => {
    const cells = row(page, 'installation 4242');
    expect(cells).toContain('<time datetime="2026-11-20T10:30:00.000Z" data-clock>10:30:00 UTC</time> <span class="muted">(in 30m00s)</span>');
  });

  it('puts every token under the outbox\'s "token", naming the token only by its hash', () => {
    const cells = text(row(page, 'token'));
    expect(cells).toContain('token-0123456789abcdef');
    expect(cells).toContain('core 4,999 of 5,000 left');
    expect(cells).toContain('4 of 500');
  });

  it('says which side of the ledger a row has no data for', () => {
    expect(text(row(page, 'app-7'))).toContain("the App's own requests");
    expect(text(row(page, 'app-7'))).toContain('Writes nothing through the outbox');
    expect(text(row(page, 'installation 99'))).toContain('Not seen by this process');
  });

  it('names the pace it compares against, and goes without it when it is not known', () => {
    expect(text(page)).toContain('at most 80 content writes a minute and 500 an hour');
    const unpaced = String(healthBody(healthReport(input({ outbox: { stats: [stats('1', { sentLastMinute: 5 })] }, writeLimits: undefined }))));
    expect(text(unpaced)).toContain('pace is not known');
    expect(text(row(unpaced, 'installation 1'))).not.toContain(' of 80');
  });

  it('reads the writer pace from the windows the writer is configured with', () => {
    expect(writeLimitsOfWindows([{ max: 80, ms: 60_000 }, { max: 500, ms: 3_600_000 }])).toEqual(LIMITS);
    expect(writeLimitsOfWindows([{ max: 80, ms: 60_000 }])).toBeUndefined();
  });
});

describe('rows that need attention', () => {
  const report = healthReport(
    input({
      outbox: {
        stats: [
          stats('1', { depth: 3, oldestEnqueuedAt: NOW - 3 * 60_000 - 7_000 }),
          stats('2', { depth: 1, blockedUntil: NOW + 50 * 60_000, blockedReason: 'secondary rate limit (Retry-After 3000 s)' }),
          stats('3'),
          // Within a minute, a block that has passed, a low reading whose window has since reset: fine.
          stats('4', { depth: 1, oldestEnqueuedAt: NOW - 59_000, blockedUntil: NOW - 1_000, blockedReason: 'old' }),
        ],
      },
      budget: [budget('installation-3', { primary: [core(120)] }), budget('installation-4', { primary: [core(10, NOW - 1_000)] })],
    }),
  );
  const page = render(report);

  it('marks a row whose oldest write has waited over a minute, in words as well as colour', () => {
    const marked = row(page, 'installation 1');
    expect(marked).toMatch(/^<tr class="attention">[\s\S]*<tr class="attention why">/);
    expect(text(marked)).toContain('⚠ warning');
    expect(text(marked)).toContain('the oldest waiting write has waited 3m07s, over a minute');
  });

  it('marks a row GitHub has blocked, saying until when and why', () => {
    const marked = text(row(page, 'installation 2'));
    expect(marked).toContain('⚠ warning');
    expect(marked).toContain('GitHub asked for no writes before 2026-11-20 10:50:00 UTC: secondary rate limit (Retry-After 3000 s)');
    expect(marked).toContain('(in 50m00s)');
  });

  it('marks a row with under a tenth of a rate limit left', () => {
    expect(text(row(page, 'installation 3'))).toContain('core: only 120 of 5000 requests left until 2026-11-20 10:30:00 UTC');
  });

  it('leaves rows alone that are within the limits', () => {
    const fine = row(page, 'installation 4');
    expect(fine).not.toContain('class="attention"');
    expect(text(fine)).toContain('✔ ok');
    expect(text(fine)).toContain('Not blocked');
    expect(text(fine)).toContain('window reset since');
  });

  it('says how many installations need attention, and the outbox and GitHub parts are warnings', () => {
    expect(report.state).toBe('warning');
    expect(report.components.outbox.state).toBe('warning');
    expect(report.components.github.state).toBe('warning');
    expect(text(page)).toContain('Overall: ⚠ warning. 3 installations need attention.');
  });
});

describe('components', () => {
  it('says where the config came from and how many jobs it has', () => {
    const files = text(render(healthReport(input())));
    expect(files).toContain('Configuration ✔ ok Loaded from the config files: 3 presubmits, 1 postsubmits, 2 periodics.');
    const snapshot = text(render(healthReport(input({ config: { counts: { presubmits: 1, postsubmits: 0, periodics: 0 }, readsSnapshots: true, snapshotVersion: 'ab'.repeat(32) } }))));
    expect(snapshot).toContain('Loaded from the published snapshot abababababab');
    const awaiting = text(render(healthReport(input({ config: { counts: { presubmits: 1, postsubmits: 0, periodics: 0 }, readsSnapshots: true } }))));
    expect(awaiting).toContain('the deployed config files (no usable snapshot published yet)');
  });

  it('shows a store that does not answer as failing, with its error, and still renders the rest', () => {
    const report = healthReport(input({ store: { error: 'deadline exceeded' }, outbox: { error: `outbox down ${HOSTILE}` } }));
    expect(report.state).toBe('failing');
    const page = render(report);
    expect(text(page)).toContain('Store ✖ failing Not answering: deadline exceeded');
    expect(text(page)).toContain(`Could not read the outbox: outbox down ${HOSTILE}`);
    expect(page).not.toContain('<img');
    expect(text(page)).toContain('Configuration ✔ ok');
  });

  it("shows the scheduler's last tick, and warns when it is over three minutes old or a part failed", () => {
    const recent = healthReport(input());
    expect(recent.components.scheduler.state).toBe('ok');
    expect(recent.state).toBe('ok');
    expect(text(render(recent))).toContain('Scheduler ✔ ok Last tick finished 09:59:31 UTC (29s ago), in 1s. periodics started: 1.');

    const last = { startedAt: NOW - 4 * 60_000, finishedAt: NOW - 4 * 60_000 + 500, summary: { 'reports sent': 'failed' }, failed: [{ part: 'report sweep', error: `store unavailable ${HOSTILE}` }] };
    const stale = healthReport(input({ scheduler: { last } }));
    expect(stale.components.scheduler).toMatchObject({ state: 'warning', lastTick: { ageMs: 4 * 60_000 - 500, failed: last.failed } });
    expect(stale.state).toBe('warning');
    const page = render(stale);
    expect(text(page)).toContain('Scheduler ⚠ warning Last tick finished 09:56:00 UTC (4m00s ago)');
    expect(text(page)).toContain('calls are not arriving or not finishing');
    expect(text(page)).toContain(`report sweep failed: store unavailable ${HOSTILE}`);
    expect(page).not.toContain('<img');

    const failedPartOnly = healthReport(input({ scheduler: { last: { ...last, startedAt: NOW - 5_000, finishedAt: NOW - 4_000 } } }));
    expect(failedPartOnly.components.scheduler.state).toBe('warning');
    expect(text(render(failedPartOnly))).not.toContain('not arriving');

    const never = healthReport(input({ scheduler: {} }));
    expect(never.components.scheduler).toEqual({ state: 'warning' });
    expect(text(render(never))).toContain('Scheduler ⚠ warning No tick recorded yet.');
    const unreadable = healthReport(input({ scheduler: { error: 'permission denied' } }));
    expect(unreadable.state).toBe('failing');
    expect(text(render(unreadable))).toContain('Scheduler ✖ failing Could not read the last tick: permission denied');
  });

  it("shows the reporter's lag as its oldest unreported change, a warning past five minutes", () => {
    expect(text(render(healthReport(input())))).toContain("Reporter ✔ ok Every finished job's result is reported.");
    const behind = healthReport(input({ reporter: { oldestDue: { job: 'unit-42', state: 'failure', changedAt: NOW - 90_000 } } }));
    expect(behind.components.reporter).toMatchObject({ state: 'ok', oldestDue: { job: 'unit-42', lagMs: 90_000 } });
    expect(text(render(behind))).toContain('Oldest unreported result: unit-42 became failure 09:58:30 UTC (1m30s ago); lag 1m30s.');
    const stuck = healthReport(input({ reporter: { oldestDue: { job: 'unit-43', state: 'success', changedAt: NOW - 6 * 60_000 } } }));
    expect(stuck.components.reporter.state).toBe('warning');
    expect(text(render(stuck))).toContain('reporting is stuck');
  });

  it('counts the deliveries of the last minute and hour, and shows the in-process bus backlog per subscription', () => {
    const report = healthReport(
      input({
        intake: { lastMinute: 4, lastHour: 1_234 },
        backlog: {
          kind: 'bus',
          subscriptions: [
            { subscription: 'events', topic: 'github-events', unacknowledged: 2, oldestPublishedAt: NOW - 12_000 },
            { subscription: 'trigger', topic: 'github-events', unacknowledged: 0 },
          ],
        },
      }),
    );
    expect(report.components.webhooks).toMatchObject({
      state: 'ok',
      intake: { lastMinute: 4, lastHour: 1_234 },
      backlog: { kind: 'bus', subscriptions: [{ subscription: 'events', unacknowledged: 2, oldestPublishedAt: '2026-11-20T09:59:48.000Z', oldestAgeMs: 12_000 }, { subscription: 'trigger', unacknowledged: 0 }] },
    });
    const page = text(render(report));
    expect(page).toContain('Webhook intake ✔ ok Deliveries accepted: 4 in the last minute, 1,234 in the last hour.');
    expect(page).toContain('events (topic github-events): 2 messages not yet acknowledged, the oldest published 09:59:48 UTC (12s ago)');
    expect(page).toContain('trigger (topic github-events): 0 messages not yet acknowledged');
    expect(page).not.toContain('not measured');
  });

  it('warns when an event has waited over five minutes, and fails when deliveries cannot be counted', () => {
    const stuck = healthReport(
      input({ backlog: { kind: 'bus', subscriptions: [{ subscription: 'events', topic: 'github-events', unacknowledged: 31, oldestPublishedAt: NOW - 6 * 60_000 }] } }),
    );
    expect(stuck.components.webhooks.state).toBe('warning');
    expect(stuck.state).toBe('warning');
    expect(text(render(stuck))).toContain('Needs attention: events has 31 unacknowledged messages, the oldest 6m00s old.');
    const recent = healthReport(
      input({ backlog: { kind: 'bus', subscriptions: [{ subscription: 'events', topic: 'github-events', unacknowledged: 31, oldestPublishedAt: NOW - 4 * 60_000 }] } }),
    );
    expect(recent.components.webhooks.state).toBe('ok');

    const uncounted = healthReport(input({ intake: { error: `quota exceeded ${HOSTILE}` } }));
    expect(uncounted.components.webhooks.state).toBe('failing');
    expect(uncounted.state).toBe('failing');
    const page = render(uncounted);
    expect(text(page)).toContain(`Webhook intake ✖ failing Could not count the deliveries: quota exceeded ${HOSTILE}.`);
    expect(page).not.toContain('<img');
  });

  it('links each github-events subscription to Cloud Monitoring in the cloud, saying the page does not read it', () => {
    const report = healthReport(input({ intake: { lastMinute: 0, lastHour: 9 }, backlog: { kind: 'cloud-monitoring', project: 'cutwater-prod', subscriptions: ['events', 'trigger'] } }));
    expect(report.components.webhooks.state).toBe('ok');
    const page = render(report);
    expect(text(page)).toContain('Event backlog: in Cloud Monitoring, not read by this page');
    expect(page).toContain('<a href="https://console.cloud.google.com/cloudpubsub/subscription/detail/events?tab=metrics&#38;project=cutwater-prod">events</a>');
    expect(page).toContain('/cloudpubsub/subscription/detail/trigger?');
    expect(text(render(healthReport(input())))).toContain('Event backlog: not known to this process.');
  });

  it("shows Cloud Monitoring's newest sample per subscription beside its charts, judged at the sample's time", () => {
    const report = healthReport(
      input({
        backlog: {
          kind: 'cloud-monitoring',
          project: 'cutwater-prod',
          subscriptions: ['events', 'trigger', 'spare'],
          measured: {
            subscriptions: [
              // Sampled two minutes ago with its oldest then six minutes old: stuck.
              { subscription: 'events', topic: 'github-events', unacknowledged: 31, oldestPublishedAt: NOW - 8 * 60_000, sampledAt: NOW - 2 * 60_000 },
              // Four minutes old when sampled three minutes ago: seven minutes since publishing, but it was not stuck then.
              { subscription: 'trigger', topic: 'github-events', unacknowledged: 2, oldestPublishedAt: NOW - 7 * 60_000, sampledAt: NOW - 3 * 60_000 },
            ],
            unmeasured: ['spare'],
          },
        },
      }),
    );
    expect(report.components.webhooks.state).toBe('warning');
    expect(report.components.webhooks.warnings).toEqual(['events has 31 unacknowledged messages, the oldest 6m00s old when Cloud Monitoring last sampled it']);
    expect(report.components.webhooks.backlog).toMatchObject({
      kind: 'cloud-monitoring',
      subscriptions: [
        { subscription: 'events', unacknowledged: 31, oldestAgeMs: 6 * 60_000, sampledAt: '2026-11-20T09:58:00.000Z', oldestPublishedAt: '2026-11-20T09:52:00.000Z' },
        { subscription: 'trigger', unacknowledged: 2, oldestAgeMs: 4 * 60_000, sampledAt: '2026-11-20T09:57:00.000Z' },
      ],
      unmeasured: ['spare'],
    });
    const page = render(report);
    expect(text(page)).toContain("Event backlog of the github-events subscriptions, Cloud Monitoring's newest sample:");
    expect(text(page)).toContain('events (topic github-events): 31 messages not yet acknowledged, the oldest published 09:52:00 UTC (8m00s ago); sampled 09:58:00 UTC (2m00s ago) — charts');
    expect(text(page)).toContain('trigger (topic github-events): 2 messages not yet acknowledged, the oldest published 09:53:00 UTC (7m00s ago); sampled 09:57:00 UTC (3m00s ago) — charts');
    expect(text(page)).toMatch(/spare ?: no sample in Cloud Monitoring in the last five minutes — charts/);
    expect(page).toContain('<a href="https://console.cloud.google.com/cloudpubsub/subscription/detail/events?tab=metrics&#38;project=cutwater-prod">charts</a>');
    expect(page).toContain('<a href="https://console.cloud.google.com/cloudpubsub/subscription/detail/spare?tab=metrics&#38;project=cutwater-prod">charts</a>');
    expect(text(page)).not.toContain('not read by this page');
  });

  it('falls back to the links, saying why, when Cloud Monitoring cannot be read', () => {
    const report = healthReport(
      input({
        backlog: {
          kind: 'cloud-monitoring',
          project: 'cutwater-prod',
          subscriptions: ['events', 'trigger'],
          measured: { error: `Cloud Monitoring refused the read (403 PERMISSION_DENIED): needs roles/monitoring.viewer ${HOSTILE}` },
        },
      }),
    );
    // Unknown is not bad: the component keeps its state, as it does with links only.
    expect(report.components.webhooks.state).toBe('ok');
    expect(report.components.webhooks.backlog).toMatchObject({ kind: 'cloud-monitoring', error: expect.stringContaining('roles/monitoring.viewer') });
    const page = render(report);
    expect(text(page)).toContain(
      `Event backlog: could not read it from Cloud Monitoring: Cloud Monitoring refused the read (403 PERMISSION_DENIED): needs roles/monitoring.viewer ${HOSTILE}. Its charts there — undelivered messages and the oldest unacknowledged message's age of the github-events subscriptions events, trigger.`,
    );
    expect(page).toContain('<a href="https://console.cloud.google.com/cloudpubsub/subscription/detail/trigger?tab=metrics&#38;project=cutwater-prod">trigger</a>');
    expect(page).not.toContain('<img');
  });

  it('says GitHub is off when this process holds no clients', () => {
    const report = healthReport(input({ budget: undefined }));
    expect(report.components.github).toEqual({ state: 'off' });
    expect(report.state).toBe('ok');
    expect(text(render(report))).toContain('This process holds no GitHub credentials');
  });
});

describe('runners', () => {
  function runner(holder: string, cluster: string, silentMs: number, overrides: Partial<RunnerPresence> = {}): RunnerPresence {
    return { cluster, holder, jobsHeld: 0, startedAt: NOW - 3_600_000, lastHeartbeatAt: NOW - silentMs, ...overrides };
  }

  function running(name: string, cluster: string, lease?: { holder: string; expiresAt: number }): StoredJob {
    const job = testProwJob({ cluster });
    job.metadata.name = name;
    return {
      job,
      revision: 3,
      createdAt: NOW - 60_000,
      updatedAt: NOW - 60_000,
      ...(lease ? { lease: { jobName: name, token: 1, ...lease } } : {}),
    };
  }

  it('lists every runner heard from with its cluster, last heartbeat (zone and distance) and jobs held', () => {
    const report = healthReport(
      input({
        presence: { runners: [runner('gke-east/runner-a', 'gke-east', 20_000, { jobsHeld: 2, version: '0.4.1' }), runner('local', 'default', 5_000)] },
        running: { jobs: [running('unit-1', 'gke-east', { holder: 'gke-east/runner-a', expiresAt: NOW + 40_000 })], complete: true },
      }),
    );
    expect(report.components.runners).toMatchObject({
      state: 'ok',
      warnings: [],
      running: { jobs: 1, withoutLiveLease: 0, complete: true },
      runners: [
        { holder: 'local', cluster: 'default', status: 'live', jobsHeld: 0, silentMs: 5_000, lastHeartbeatAt: '2026-11-20T09:59:55.000Z' },
        { holder: 'gke-east/runner-a', cluster: 'gke-east', status: 'live', jobsHeld: 2, version: '0.4.1', runningJobs: 1, leaseExpiresAt: '2026-11-20T10:00:40.000Z' },
      ],
    });
    const page = render(report);
    expect(text(page)).toContain('Runners ✔ ok 2 runners heard from in the last day, 2 live');
    expect(text(page)).toContain('1 running job.');
    expect(text(page)).toContain('gke-east/runner-a in cluster gke-east: version 0.4.1, last heartbeat 09:59:40 UTC (20s ago), 2 jobs held; leases on 1 running job until 10:00:40 UTC (in 40s)');
    expect(page).toContain('<time datetime="2026-11-20T09:59:55.000Z" data-clock>09:59:55 UTC</time> <span class="muted">(5s ago)</span>');
  });

  it('warns about a runner silent for over three minutes, and not about one that stopped cleanly', () => {
    const report = healthReport(
      input({
        presence: {
          runners: [runner('gke-east/runner-a', 'gke-east', 3 * 60_000 + 1_000, { jobsHeld: 1 }), runner('gke-east/runner-b', 'gke-east', 10 * 60_000, { stoppedAt: NOW - 10 * 60_000 }), runner('gke-east/runner-c', 'gke-east', 170_000)],
        },
      }),
    );
    expect(report.components.runners.state).toBe('warning');
    expect(report.components.runners.warnings).toEqual(['gke-east/runner-a (cluster gke-east) has not been heard from for 3m01s']);
    expect(report.components.runners.runners.map((entry) => entry.status)).toEqual(['silent', 'stopped', 'live']);
    const page = text(render(report));
    expect(page).toContain('Runners ⚠ warning 3 runners heard from in the last day, 1 live');
    expect(page).toContain('Needs attention: gke-east/runner-a (cluster gke-east) has not been heard from for 3m01s.');
    expect(page).toContain('gke-east/runner-a in cluster gke-east: silent last heartbeat 09:56:59 UTC (3m01s ago), 1 job held');
    expect(page).toContain('gke-east/runner-b in cluster gke-east: stopped 09:50:00 UTC (10m00s ago)');
  });

  it('warns when a cluster has running jobs and no live runner, keeping the jobs without a live lease', () => {
    const report = healthReport(
      input({
        presence: { runners: [runner('gke-west/runner-a', 'gke-west', 10_000)] },
        running: {
          jobs: [running('e2e-1', 'gke-east', { holder: 'gke-east/runner-z', expiresAt: NOW - 5_000 }), running('e2e-2', 'gke-east'), running('unit-3', 'gke-west')],
          complete: true,
        },
      }),
    );
    expect(report.components.runners).toMatchObject({ state: 'warning', running: { jobs: 3, withoutLiveLease: 3 } });
    expect(report.components.runners.warnings).toEqual(['cluster gke-east has running jobs and no live runner', '3 running jobs have no live lease']);
    const page = text(render(report));
    expect(page).toContain('3 running jobs. 3 of them have no live lease: the runner stopped, and a runner of the cluster takes them over.');
    expect(page).toContain('Needs attention: cluster gke-east has running jobs and no live runner; 3 running jobs have no live lease.');
  });

  it('counts a live lease as a live runner, listing a runner known only by its leases', () => {
    const report = healthReport(
      input({ running: { jobs: [running('e2e-1', 'gke-east', { holder: 'gke-east/old-runner', expiresAt: NOW + 30_000 })], complete: false } }),
    );
    expect(report.components.runners).toMatchObject({ state: 'ok', warnings: [], runners: [{ holder: 'gke-east/old-runner', status: 'leases only', runningJobs: 1 }] });
    const page = text(render(report));
    expect(page).toContain('No runner has been heard from in the last day. at least 1 running job.');
    expect(page).toContain('gke-east/old-runner in cluster gke-east: no presence record; leases on 1 running job until 10:00:30 UTC (in 30s)');
  });

  it('fails when the presence records cannot be read, still showing the running jobs', () => {
    const report = healthReport(input({ presence: { error: `permission denied ${HOSTILE}` }, running: { jobs: [running('e2e-1', 'gke-east')], complete: true } }));
    expect(report.components.runners).toMatchObject({ state: 'failing', errors: [{ part: 'presence records', error: `permission denied ${HOSTILE}` }], running: { jobs: 1 } });
    expect(report.state).toBe('failing');
    const page = render(report);
    expect(text(page)).toContain(`Could not read the presence records: permission denied ${HOSTILE}.`);
    expect(text(page)).not.toContain('no live runner');
    expect(page).not.toContain('<img');
  });
});

describe('escaping', () => {
  it('escapes everything that comes from GitHub, the store or an instance name', () => {
    const report = healthReport(
      input({
        outbox: { stats: [stats(HOSTILE, { depth: 1, oldestEnqueuedAt: NOW, blockedUntil: NOW + 60_000, blockedReason: HOSTILE, writer: { holder: HOSTILE, expiresAt: NOW + 1_000 } })] },
        budget: [budget(`token-${HOSTILE}`, { primary: [{ ...core(1), resource: HOSTILE }] })],
      }),
    );
    const page = render(report);
    expect(page).not.toMatch(/<img/);
    expect(text(page)).toContain(`GitHub asked for no writes before 2026-11-20 10:01:00 UTC: ${HOSTILE}`);
    expect(text(page)).toContain(`${HOSTILE} until`);
    expect(text(page)).toContain(`${HOSTILE}: only 1 of 5000 requests left`);
  });
});

interface ServedPages {
  base: string;
  store: EmbeddedStore;
  close(): Promise<void>;
}

/** The status pages over HTTP on a fresh embedded store, with `deps` for the health page. */
async function servePages(config: Config, now: () => number, deps: Partial<StatusDependencies>): Promise<ServedPages> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-health-'));
  const store = EmbeddedStore.open({ now });
  const { server, base } = await serveListener(
    statusListener({
      store,
      artifacts: new DiskArtifactStore(dir),
      log: memoryLogger(),
      config: staticConfigSource(config),
      auth: statusAuthFromEnv({ STATUS_SESSION_SECRET: 's'.repeat(40) }, {}),
      now,
      ...deps,
    }),
  );
  return {
    base,
    store,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('/health and /health.json over HTTP, on the embedded store', () => {
  const CONFIG = expectLoaded(
    buildFromFiles({
      jobs: {
        'jobs.yaml': yaml(`
          periodics:
          - name: nightly
            interval: 24h
            cluster: build-east
            spec: {containers: [{image: node:22, command: [node, -e, "1"]}]}
        `),
      },
    }),
  );
  let clock = NOW;
  let pages: ServedPages;
  let base: string;
  let store: EmbeddedStore;
  const ledger: InstallationBudget[] = [
    budget('installation-4242', { primary: [core(300)], requests: 1500, notModified: 640, secondaryLimited: 1, lastAnswerAt: new Date(NOW).toISOString() }),
    budget('token-feedfacecafebeef', { primary: [core(4800)], requests: 20, notModified: 5 }),
  ];

  beforeAll(async () => {
    pages = await servePages(CONFIG, () => clock, {
      githubBudget: () => ledger,
      writeLimits: LIMITS,
      eventBacklog: { kind: 'bus', read: () => [{ subscription: 'events', topic: 'github-events', unacknowledged: 3, oldestPublishedAt: clock - 7_000 }] },
    });
    ({ base, store } = pages);

    // A running job, leased by a runner of build-east.
    const periodic = CONFIG.periodics[0]!;
    await store.jobs.create(newPeriodicJob(periodic, { name: 'nightly-1', now: new Date(clock), config: CONFIG }), { idempotencyKey: 'test/nightly-1' });
    // Leases outlast the two minutes the clock moves on below.
    const claim = await store.jobs.claimNext({ cluster: 'build-east', holder: 'build-east/runner-0', ttlMs: 10 * 60_000 });
    await store.jobs.update('nightly-1', { state: 'pending', status: { build_id: '1' } }, { lease: claim!.lease });

    // Installation 4242: a label added and removed (they cancel), and two comments waiting.
    const issue = { owner: 'acme', repo: 'widgets', number: 7 };
    await store.outbox.enqueue([
      { id: 'd1/add', installation: '4242', write: { kind: 'addLabel', ...issue, label: 'do-not-merge/hold' }, changesState: true, cause: 'delivery d1' },
      { id: 'd2/remove', installation: '4242', write: { kind: 'removeLabel', ...issue, label: 'do-not-merge/hold' }, changesState: true, cause: 'delivery d2' },
      { id: 'd3/comment', installation: '4242', write: { kind: 'createComment', ...issue, body: 'one' }, cause: 'delivery d3' },
      { id: 'd4/comment', installation: '4242', write: { kind: 'createComment', ...issue, number: 8, body: 'two' }, cause: 'delivery d4' },
    ]);
    // The token: one status sent a moment ago, then GitHub asked for a pause.
    await store.outbox.enqueue([
      { id: 'r1/status', installation: 'token', write: { kind: 'createStatus', owner: 'acme', repo: 'widgets', sha: 'a'.repeat(40), context: 'ci/unit', state: 'success' }, cause: 'report nightly-1' },
    ]);
    const lease = await store.outbox.claimWriter('token', 'writer-1', 10 * 60_000);
    const taken = (await store.outbox.take(lease!, { limit: 10 })).entries;
    await store.outbox.settle(lease!, taken.map((entry) => ({ id: entry.id, result: 'sent' as const })), [clock]);
    await store.outbox.block(lease!, clock + 10 * 60_000, 'You have exceeded a secondary rate limit <b>now</b>');
    // The scheduler ticked a minute before the page is read.
    await store.schedulerTicks.record({ startedAt: clock + 60_000, finishedAt: clock + 60_200, summary: { 'periodics started': 0 }, failed: [] });
    // build-east's runner beat 30 s before the page is read; an idle runner of build-west has been silent for 4 minutes.
    await store.runners.beat({ cluster: 'build-east', holder: 'build-east/runner-0', version: '0.1.0', jobsHeld: 1, startedAt: clock - 3_600_000, lastHeartbeatAt: clock + 90_000 });
    await store.runners.beat({ cluster: 'build-west', holder: 'build-west/runner-0', jobsHeld: 0, startedAt: clock - 3_600_000, lastHeartbeatAt: clock - 2 * 60_000 });
    // Two deliveries: one two minutes before the page is read, one just now.
    await store.deliveries.recordAccepted('delivery-early');
    clock += 2 * 60_000;
    await store.deliveries.recordAccepted('delivery-now');
  });

  afterAll(() => pages.close());

  it('is linked from every page', async () => {
    const page = await (await fetch(`${base}/plugins`)).text();
    expect(page).toContain('<a href="/health">Health</a>');
  });

  it('shows the store answering, the runner and its job, and each installation with its numbers', async () => {
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('<a href="/health" aria-current="page">Health</a>');
    expect(text(page)).toMatch(/Store ✔ ok Answering: a one-document read took [\d.]+ ms\./);
    expect(text(page)).toContain('Runners ⚠ warning 2 runners heard from in the last day, 1 live');
    expect(text(page)).toContain(
      'build-east/runner-0 in cluster build-east: version 0.1.0, last heartbeat 10:01:30 UTC (30s ago), 1 job held; leases on 1 running job until 10:10:00 UTC (in 8m00s)',
    );
    expect(text(page)).toContain('build-west/runner-0 in cluster build-west: silent last heartbeat 09:58:00 UTC (4m00s ago), 0 jobs held');
    expect(text(page)).toContain('Webhook intake ✔ ok Deliveries accepted: 1 in the last minute, 2 in the last hour.');
    expect(text(page)).toContain('events (topic github-events): 3 messages not yet acknowledged, the oldest published 10:01:53 UTC (7s ago)');

    const installation = text(row(page, 'installation 4242'));
    expect(installation).toContain('core 300 of 5,000 left');
    expect(installation).toContain('1,500 1 secondary-limit answer 640');
    // Two comments waiting for two minutes; the add and remove of the label were never sent.
    expect(installation).toMatch(/ 0 of 80 0 of 500 2 2m00s 2 0 Not blocked None/);
    expect(installation).toContain('the oldest waiting write has waited 2m00s, over a minute');
    expect(installation).toContain('core: only 300 of 5000 requests left');

    const token = text(row(page, 'token'));
    expect(token).toContain('token-feedfacecafebeef');
    expect(token).toMatch(/ 0 of 80 1 of 500 0 Nothing waiting 0 0 10:10:00 UTC \(in 8m00s\) writer-1 until 10:10:00 UTC \(in 8m00s\)/);
    expect(token).toContain('GitHub asked for no writes before 2026-11-20 10:10:00 UTC: You have exceeded a secondary rate limit <b>now</b>');
    expect(page).not.toContain('<b>now');
  });

  it('serves the same report as JSON for scripts', async () => {
    const response = await fetch(`${base}/health.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const report = (await response.json()) as HealthReport;
    expect(report.state).toBe('warning');
    expect(report.generatedAt).toBe(new Date(clock).toISOString());
    expect(report.components.store.state).toBe('ok');
    expect(report.components.runners).toMatchObject({
      state: 'warning',
      running: { jobs: 1, withoutLiveLease: 0, complete: true },
      warnings: ['build-west/runner-0 (cluster build-west) has not been heard from for 4m00s'],
      runners: [
        { holder: 'build-east/runner-0', cluster: 'build-east', status: 'live', version: '0.1.0', jobsHeld: 1, silentMs: 30_000, lastHeartbeatAt: '2026-11-20T10:01:30.000Z', runningJobs: 1 },
        { holder: 'build-west/runner-0', cluster: 'build-west', status: 'silent', jobsHeld: 0, silentMs: 240_000, runningJobs: 0 },
      ],
    });
    expect(report.components.outbox).toEqual({ state: 'warning', installations: 2, waitingWrites: 2, liveWriters: 1 });
    expect(report.components.scheduler).toMatchObject({ state: 'ok', lastTick: { finishedAt: '2026-11-20T10:01:00.200Z', ageMs: 59_800, failed: [] } });
    // The running job's state changes were never reported (no reporter runs here): two minutes behind.
    // The running job owes no recorded report: pending is reported from its change event.
    expect(report.components.reporter).toEqual({ state: 'ok' });
    expect(report.components.webhooks).toMatchObject({
      state: 'ok',
      intake: { lastMinute: 1, lastHour: 2 },
      backlog: { kind: 'bus', subscriptions: [{ subscription: 'events', unacknowledged: 3, oldestAgeMs: 7_000 }] },
    });
    const byKey = new Map(report.installations.map((installation) => [installation.installation, installation]));
    expect(byKey.get('4242')).toMatchObject({
      state: 'warning',
      reads: { identities: ['installation-4242'], requests: 1500, notModified: 640, secondaryLimited: 1 },
      writes: { lastMinute: 0, lastHour: 0, limits: LIMITS, depth: 2, oldestWaitMs: 120_000, saved: 2, failed: 0 },
    });
    expect(byKey.get('token')).toMatchObject({
      state: 'warning',
      reads: { identities: ['token-feedfacecafebeef'] },
      writes: { lastHour: 1, depth: 0, blocked: { until: '2026-11-20T10:10:00.000Z' }, writer: { holder: 'writer-1' } },
    });
  });
});

describe('/health and /health.json in the cloud, reading the backlog from a fake Cloud Monitoring', () => {
  const CONFIG = expectLoaded(buildFromFiles({ jobs: {} }));
  const SUBSCRIPTIONS = [
    { name: 'events', topic: 'github-events' },
    { name: 'trigger', topic: 'github-events' },
  ];
  let monitoring: FakeMonitoring;
  let pages: ServedPages;
  let base: string;
  // Each test reads through a fresh reader, so one test's cached answer is not the next one's.
  let read: () => Promise<MeasuredBacklog>;

  beforeAll(async () => {
    monitoring = await startFakeMonitoring();
    pages = await servePages(CONFIG, () => NOW, {
      eventBacklog: { kind: 'cloud-monitoring', project: 'cutwater-prod', subscriptions: ['events', 'trigger'], read: () => read() },
    });
    ({ base } = pages);
  });

  beforeEach(() => {
    monitoring.asked.length = 0;
    read = monitoringBacklogReader({ subscriptions: SUBSCRIPTIONS, project: 'cutwater-prod', baseUrl: monitoring.base, accessToken: () => Promise.resolve('token-1'), now: () => NOW });
  });

  afterAll(async () => {
    await pages.close();
    await monitoring.close();
  });

  it("shows each subscription's undelivered messages and oldest age, warning over five minutes, with the charts beside them", async () => {
    monitoring.answer = byMetric(
      [subscriptionSeries('events', [monitoringPoint(NOW, 60, 31)]), subscriptionSeries('trigger', [monitoringPoint(NOW, 60, 0)])],
      [subscriptionSeries('events', [monitoringPoint(NOW, 60, 400)]), subscriptionSeries('trigger', [monitoringPoint(NOW, 60, 0)])],
    );
    const page = await (await fetch(`${base}/health`)).text();
    expect(text(page)).toContain('Webhook intake ⚠ warning');
    expect(text(page)).toContain('Needs attention: events has 31 unacknowledged messages, the oldest 6m40s old when Cloud Monitoring last sampled it.');
    expect(text(page)).toContain('events (topic github-events): 31 messages not yet acknowledged, the oldest published 09:52:20 UTC (7m40s ago); sampled 09:59:00 UTC (1m00s ago) — charts');
    expect(text(page)).toContain('trigger (topic github-events): 0 messages not yet acknowledged; sampled 09:59:00 UTC (1m00s ago) — charts');
    expect(page).toContain('<a href="https://console.cloud.google.com/cloudpubsub/subscription/detail/events?tab=metrics&#38;project=cutwater-prod">charts</a>');
    expect(monitoring.asked.every((request) => request.authorization === 'Bearer token-1')).toBe(true);

    const report = (await (await fetch(`${base}/health.json`)).json()) as HealthReport;
    expect(report.components.webhooks).toMatchObject({
      state: 'warning',
      backlog: {
        kind: 'cloud-monitoring',
        subscriptions: [
          { subscription: 'events', topic: 'github-events', unacknowledged: 31, oldestAgeMs: 400_000, sampledAt: '2026-11-20T09:59:00.000Z' },
          { subscription: 'trigger', topic: 'github-events', unacknowledged: 0, sampledAt: '2026-11-20T09:59:00.000Z' },
        ],
        unmeasured: [],
        links: [
          { subscription: 'events', url: expect.stringContaining('/subscription/detail/events?') },
          { subscription: 'trigger', url: expect.stringContaining('/subscription/detail/trigger?') },
        ],
      },
    });
    // The page and the JSON were served from one read.
    expect(monitoring.asked).toHaveLength(2);
  });

  it('falls back to the links when Monitoring refuses, naming the role the status function lacks', async () => {
    monitoring.answer = PERMISSION_DENIED;
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    const page = text(await response.text());
    expect(page).toContain('Webhook intake ✔ ok');
    expect(page).toContain(
      "Event backlog: could not read it from Cloud Monitoring: Cloud Monitoring refused the read (403 PERMISSION_DENIED): the status function's service account needs roles/monitoring.viewer on project cutwater-prod (permission monitoring.timeSeries.list)",
    );
    expect(page).toContain("Its charts there — undelivered messages and the oldest unacknowledged message's age of the github-events subscriptions events, trigger.");
    expect(page).not.toContain('token-1');
    const report = (await (await fetch(`${base}/health.json`)).json()) as HealthReport;
    expect(report.components.webhooks.backlog).toMatchObject({ kind: 'cloud-monitoring', error: expect.stringContaining('roles/monitoring.viewer') });
  });
});
