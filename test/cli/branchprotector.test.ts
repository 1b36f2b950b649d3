import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskArtifactStore } from '../../shared/artifacts/disk';
import { createSnapshot, publishSnapshot } from '../../shared/config/snapshots';
import { branchprotectorCommand } from '../../cli/branchprotector';
import type { CommandIO } from '../../cli/checkconfig';
import { main } from '../../cli/main';
import { GitHubClients } from '../../shared/github/octokit';
import { branchProtectionOf } from '../../shared/branchprotection/policy';
import { loadConfigOrThrow } from '../../shared/config/load';
import { corpusPaths } from '../support/config';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github';

/** `cutwater branchprotector` on kubernetes' real config, against a fake GitHub seeded with a few of its repos. */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Run = { code: number; stdout: string; stderr: string };

function collect(): { io: CommandIO; result: (code: number) => Run } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    io: { stdout: (line) => stdout.push(line), stderr: (line) => stderr.push(line) },
    result: (code) => ({ code, stdout: stdout.join('\n'), stderr: stderr.join('\n') }),
  };
}

let github: FakeGitHub;

/** The command as `cutwater branchprotector` runs it, speaking to the fake without pacing its writes. */
async function branchprotector(...args: string[]): Promise<Run> {
  const { io, result } = collect();
  const clients = new GitHubClients({ baseUrl: github.url, auth: { token: 'test-token' }, pacing: false });
  return result(await branchprotectorCommand(args, io, clients));
}

describe('cutwater branchprotector on kubernetes/test-infra config', () => {
  // The corpus's job configs take a while to load on a shared machine; three runs load them three times.
  it('loads 4 orgs and 86 repo entries, prints a diff per branch, applies it with --confirm, and then has nothing to do', async () => {
    const paths = corpusPaths();
    const config = await loadConfigOrThrow(paths);
    const protection = branchProtectionOf(config)!;
    const orgs = Object.entries(protection.orgs ?? {});
    expect(orgs).toHaveLength(4);
    expect(orgs.reduce((count, [, org]) => count + Object.keys(org?.repos ?? {}).length, 0)).toBe(86);

    github = await startFakeGitHub();
    cleanups.push(() => github.close());
    // Every repo the config names exists; kubernetes/kubernetes has the branches that matter.
    for (const [org, entry] of orgs) for (const repo of Object.keys(entry?.repos ?? {})) github.addRepo(`${org}/${repo}`, { defaultBranch: 'master' });
    for (const branch of ['release-1.30', 'revert-1234-master', 'dependabot/go_modules/x']) github.pushToBranch('kubernetes/kubernetes', branch, { files: [] });
    github.setBranchProtection('kubernetes/kubernetes', 'master', {
      required_status_checks: { strict: false, contexts: ['EasyCLA', 'retired-job'] },
      enforce_admins: false,
      required_pull_request_reviews: null,
      restrictions: null,
      required_linear_history: false,
      allow_force_pushes: true,
      allow_deletions: false,
    });

    const args = ['--config-path', paths.configPath, '--job-config-path', paths.jobConfigPath];
    const dry = await branchprotector(...args);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    const lines = dry.stdout.split('\n');
    // The org's EasyCLA plus the always-run presubmits of master; the stale context goes, as does force-pushing.
    const master = lines.slice(lines.indexOf('kubernetes/kubernetes=master: update'));
    expect(master).toContain('  -required_status_checks.contexts: retired-job');
    expect(master).toContain('  +required_status_checks.contexts: pull-kubernetes-unit');
    expect(master).toContain('  -allow_force_pushes: true');
    expect(master).toContain('  +allow_force_pushes: false');
    expect(lines).toContain('kubernetes/kubernetes=release-1.30: protect');
    // exclude: revert and dependabot branches are left alone.
    expect(dry.stdout).not.toContain('revert-1234-master');
    expect(dry.stdout).not.toContain('dependabot/');
    expect(lines.at(-1)).toMatch(/^\d+ branches to change, 0 already as configured, 0 errors \(dry run: --confirm applies\)$/);
    // A dry run writes nothing.
    expect(github.requests.filter((request) => request.method !== 'GET')).toEqual([]);
    expect(github.branchProtection('kubernetes/kubernetes', 'release-1.30')).toBeUndefined();

    const applied = await branchprotector(...args, '--confirm');
    expect(applied.code).toBe(0);
    const changed = Number(/^(\d+) branches to change/.exec(lines.at(-1)!)![1]);
    expect(applied.stdout.split('\n').at(-1)).toBe(`${changed} branches changed, 0 failed, 0 already as configured, 0 errors`);
    const release = github.branchProtection('kubernetes/kubernetes', 'release-1.30')!;
    expect(release.required_status_checks?.contexts).toContain('EasyCLA');
    expect(github.branchProtection('kubernetes/kubernetes', 'master')?.allow_force_pushes).toBe(false);
    expect(github.branchProtection('kubernetes/kubernetes', 'revert-1234-master')).toBeUndefined();
    expect(github.branchProtection('kubernetes/api', 'master')?.restrictions).toEqual({ users: [], teams: ['stage-bots'], apps: [] });

    const again = await branchprotector(...args);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`0 branches to change, ${changed} already as configured, 0 errors (dry run: --confirm applies)`);
  }, 240_000);

  it('without --config-path, protects as the config snapshot published under $CONFIG_SNAPSHOTS says (the scheduled run in the cloud)', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'cutwater-bp-snapshots-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const texts = {
      prowConfig: {
        path: 'config.yaml',
        text: 'branch-protection:\n  orgs:\n    acme:\n      repos:\n        app:\n          protect: true\n          require_signed_commits: true\n',
      },
      jobConfigs: [],
    };
    const published = await publishSnapshot(
      new DiskArtifactStore(directory),
      '',
      createSnapshot(texts, { repo: 'acme/config', sha: 'c'.repeat(40), pullRequest: 1, author: 'alice' }, new Date()),
    );
    expect(published.ok).toBe(true);
    github = await startFakeGitHub();
    cleanups.push(() => github.close());
    github.addRepo('acme/app', { defaultBranch: 'main' });

    const before = process.env.CONFIG_SNAPSHOTS;
    process.env.CONFIG_SNAPSHOTS = directory;
    cleanups.push(() => {
      if (before === undefined) delete process.env.CONFIG_SNAPSHOTS;
      else process.env.CONFIG_SNAPSHOTS = before;
    });
    const run = await branchprotector('--confirm');
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n').at(-1)).toBe('1 branch changed, 0 failed, 0 already as configured, 0 errors');
    expect(github.branchProtection('acme/app', 'main')).toMatchObject({ enforce_admins: false, required_signatures: true });
  });

  it('asks for --config-path with its usage', async () => {
    const { io, result } = collect();
    const run = result(await main(['branchprotector'], io));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--config-path is required');
    expect(run.stderr).toContain('Usage: cutwater branchprotector');
  });
});
