import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../cli/local/system';
import { memoryLogger } from '../../shared/log/logger';
import { yaml } from '../support/config';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github';
import { issueComment } from '../support/payloads';
import { signedHeaders } from '../support/signing';
import { waitFor } from '../support/wait';

/**
 * Commands on one pull request act in order, on the state the earlier ones left (issue 25), in
 * `cutwater local` as a user runs it, against a GitHub whose every write takes seconds: a command
 * and its undoing, sent within a second, leave the PR as the last one says, and GitHub receives no
 * write for the pair. Also when GitHub redelivers every event, and when local mode is killed between
 * the two commands and started again on the same data dir.
 */
const SECRET = 'command-pairs-secret-71b4';
const REPO = 'acme/widgets';
const WRITE_DELAY_MS = 2_000;

interface Pair {
  name: string;
  number: number;
  first: string;
  second: string;
  /** Who is assigned at the end: as in Prow, `/lgtm` assigns the reviewer, and its cancel does not unassign. */
  assignees: string[];
}
const PAIRS: readonly Pair[] = [
  { name: 'hold', number: 11, first: '/hold', second: '/hold cancel', assignees: [] },
  { name: 'label', number: 12, first: '/label needs-design', second: '/remove-label needs-design', assignees: [] },
  { name: 'lgtm', number: 13, first: '/lgtm', second: '/lgtm cancel', assignees: ['reviewer'] },
  { name: 'assign', number: 14, first: '/assign', second: '/unassign', assignees: [] },
];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function configDir(): { dataDir: string; configPaths: { configPath: string; jobConfigPath: string; pluginConfigPath: string } } {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-pairs-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const configPath = path.join(dir, 'config.yaml');
  const pluginConfigPath = path.join(dir, 'plugins.yaml');
  writeFileSync(configPath, yaml(`
    prowjob_namespace: default
  `));
  writeFileSync(
    pluginConfigPath,
    yaml(`
      plugins:
        acme:
          plugins: [hold, label, lgtm, assign]
      label:
        additional_labels: [needs-design]
    `),
  );
  mkdirSync(path.join(dir, 'jobs'));
  return { dataDir: path.join(dir, 'data'), configPaths: { configPath, jobConfigPath: path.join(dir, 'jobs'), pluginConfigPath } };
}

async function slowGitHub(): Promise<FakeGitHub> {
  const github = await startFakeGitHub({ writeDelayMs: WRITE_DELAY_MS });
  cleanups.push(() => github.close());
  github.addRepo(REPO);
  github.addRepoLabels(REPO, ['do-not-merge/hold', 'needs-design', 'lgtm']);
  github.addCollaborator(REPO, 'reviewer');
  for (const pair of PAIRS) github.addPullRequest(REPO, { number: pair.number, author: 'contributor' });
  return github;
}

async function start(github: FakeGitHub, where: ReturnType<typeof configDir>): Promise<LocalSystem> {
  const system = await startLocalSystem({
    ...where,
    port: 0,
    log: memoryLogger(),
    env: { GITHUB_TOKEN: 'pairs-token', GITHUB_API_URL: github.url, WEBHOOK_SECRET: SECRET },
  });
  let stopped = false;
  cleanups.push(async () => {
    if (!stopped) await system.stop();
  });
  const stop = system.stop.bind(system);
  system.stop = async () => {
    stopped = true;
    await stop();
  };
  return system;
}

let commentIds = 5_000;
async function comment(system: LocalSystem, pair: Pair, body: string, deliveryId: string): Promise<void> {
  const payload = JSON.stringify(issueComment({ number: pair.number, commenter: 'reviewer', comment: body, commentId: ++commentIds }));
  const response = await fetch(`${system.url}/hook`, { method: 'POST', headers: signedHeaders(SECRET, 'issue_comment', payload, deliveryId), body: payload });
  expect(response.status).toBe(200);
}

/** Writes GitHub received about the pair's PR, as "METHOD path". */
function writesTo(github: FakeGitHub, pair: Pair): string[] {
  return github.requests
    .filter((request) => request.method !== 'GET' && request.path.startsWith(`/repos/${REPO}/issues/${pair.number}/`))
    .map((request) => `${request.method} ${request.path}`);
}

/** The writes left when the pair cancels: lgtm's assignment of the reviewer, which nothing undoes. */
function lastingWrites(pair: Pair): string[] {
  return pair.assignees.length > 0 ? [`POST /repos/${REPO}/issues/${pair.number}/assignees`] : [];
}

function stateOf(github: FakeGitHub, pair: Pair): { labels: string[]; assignees: string[] } {
  return { labels: github.labels(REPO, pair.number), assignees: github.assignees(REPO, pair.number) };
}

/** Until every delivery has been handled and the outbox has nothing left to send. */
async function settled(system: LocalSystem, deliveries: readonly string[]): Promise<void> {
  await waitFor(async () => {
    for (const id of deliveries) if (!(await system.store.deliveries.get(id))?.done) return false;
    const stats = await system.store.outbox.stats();
    return stats.every((installation) => installation.depth === 0);
  }, 'every delivery handled and every GitHub write settled', 30_000);
}

describe('a command and its undoing, sent within a second on one PR', () => {
  it('leave each PR as the last command says, and GitHub gets no write for any pair', async () => {
    const github = await slowGitHub();
    const system = await start(github, configDir());
    const ids: string[] = [];
    for (const pair of PAIRS) {
      await comment(system, pair, pair.first, `${pair.name}-1`);
      await comment(system, pair, pair.second, `${pair.name}-2`);
      ids.push(`${pair.name}-1`, `${pair.name}-2`);
    }
    await settled(system, ids);
    for (const pair of PAIRS) {
      expect(stateOf(github, pair), pair.name).toEqual({ labels: [], assignees: pair.assignees });
      expect(writesTo(github, pair), pair.name).toEqual(lastingWrites(pair));
    }
    const [installation] = await system.store.outbox.stats();
    // Two writes saved per pair: the command's and its undoing's.
    expect(installation?.saved).toBeGreaterThanOrEqual(2 * PAIRS.length);
  });

  it('does the same when GitHub delivers every event twice', async () => {
    const github = await slowGitHub();
    const system = await start(github, configDir());
    const ids: string[] = [];
    for (const pair of PAIRS) {
      for (const [index, body] of [pair.first, pair.second].entries()) {
        const id = `${pair.name}-${index + 1}`;
        await comment(system, pair, body, id);
        await comment(system, pair, body, id);
        ids.push(id);
      }
    }
    await settled(system, ids);
    for (const pair of PAIRS) {
      expect(stateOf(github, pair), pair.name).toEqual({ labels: [], assignees: pair.assignees });
      expect(writesTo(github, pair), pair.name).toEqual(lastingWrites(pair));
    }
  });

  it('ends as the last command says when local mode stops between the two commands and starts again', async () => {
    const github = await slowGitHub();
    const where = configDir();
    const first = await start(github, where);
    for (const pair of PAIRS) await comment(first, pair, pair.first, `${pair.name}-1`);
    await first.stop();

    const second = await start(github, where);
    for (const pair of PAIRS) await comment(second, pair, pair.second, `${pair.name}-2`);
    await settled(second, PAIRS.flatMap((pair) => [`${pair.name}-1`, `${pair.name}-2`]));
    for (const pair of PAIRS) {
      expect(stateOf(github, pair), pair.name).toEqual({ labels: [], assignees: pair.assignees });
      // Whatever went out before the stop went out once, and its undoing after it.
      const writes = writesTo(github, pair);
      expect(new Set(writes).size, `${pair.name}: ${writes.join('; ')}`).toBe(writes.length);
    }
  });
});
