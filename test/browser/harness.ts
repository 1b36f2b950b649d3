import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { ConfigPaths } from '../../shared/config/load';
import { startLocalSystem, type LocalSystem } from '../../cli/local/system';
import { memoryLogger } from '../../shared/log/logger';
import type { ProwJob } from '../../shared/prowjob/schema';
import { REPO_ROOT } from '../support/config';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github';
import { issueComment, pullRequest } from '../support/payloads';
import { signedHeaders } from '../support/signing';
import { waitFor } from '../support/wait';

/**
 * The status pages' browser tests: `cutwater local` started in-process on the fixture config
 * (test/browser/fixtures), a fake GitHub it plays plugins, reports and sign-in against, and
 * Debian's Chromium driven by playwright-core. Jobs come from where they come in real use: a
 * signed webhook the trigger plugin acts on, and the scheduler's periodic — then really run.
 */

export const FIXTURE_CONFIG: ConfigPaths = {
  configPath: path.join(import.meta.dirname, 'fixtures/config.yaml'),
  jobConfigPath: path.join(import.meta.dirname, 'fixtures/jobs'),
  pluginConfigPath: path.join(import.meta.dirname, 'fixtures/plugins.yaml'),
};

export const ORG = 'acme';
export const REPO = 'widgets';
export const FULL_REPO = `${ORG}/${REPO}`;
/** The pull request every presubmit runs for; its author is an acme member, so trigger runs jobs. */
export const PULL = { number: 1, author: 'carol', headSha: 'c0ffee'.repeat(6) + 'c0de', title: 'Parse widgets in one pass' } as const;
/** Allowed to rerun by the fixture's deck.rerun_auth_configs, and by nothing else (not an acme member). */
export const RERUNNER = 'alice';
/** Neither named in rerun_auth_configs nor able to `/test` the pull request. */
export const OUTSIDER = 'bob';

const WEBHOOK_SECRET = 'browser-test-secret';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 375, height: 740 } as const;

export interface StatusSystemOptions {
  /** How often the scheduler ticks (default: each minute; the periodic runs on the first tick). */
  tickMs?: number;
}

export interface StatusSystem {
  /** The status pages, e.g. http://127.0.0.1:PORT. */
  url: string;
  system: LocalSystem;
  github: FakeGitHub;
  /** Sends a webhook signed as GitHub signs it to `/hook`; fails unless it is accepted. */
  sendWebhook(event: string, payload: unknown): Promise<void>;
  /** The PR-opened event for PULL: trigger runs the always_run presubmits. */
  openPullRequest(): Promise<void>;
  /** A comment on PULL by `commenter` (e.g. `/test slow`). */
  commentOnPullRequest(commenter: string, body: string): Promise<void>;
  /** `/prowjobs.js` with Prow's filters, e.g. `{ job: 'unit' }`. */
  prowJobs(filters?: Record<string, string>): Promise<ProwJob[]>;
  /** Polls `/prowjobs.js?job=<job>` until a run satisfies `done`; a timeout names what was seen and logged. */
  waitForJob(job: string, done: (candidate: ProwJob) => boolean, what: string, timeoutMs?: number): Promise<ProwJob>;
  stop(): Promise<void>;
}

export async function startStatusSystem(options: StatusSystemOptions = {}): Promise<StatusSystem> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cutwater-browser-'));
  const github = await startFakeGitHub();
  const log = memoryLogger();
  let system: LocalSystem;
  try {
    github.addRepo(FULL_REPO);
    github.addOrgMember(ORG, PULL.author);
    github.addPullRequest(FULL_REPO, {
      number: PULL.number,
      author: PULL.author,
      title: PULL.title,
      headSha: PULL.headSha,
      baseRef: 'main',
      files: [{ filename: 'widgets/parse.go', additions: 40, deletions: 12 }],
    });
    system = await startLocalSystem({
      configPaths: FIXTURE_CONFIG,
      dataDir,
      port: 0,
      env: {
        GITHUB_TOKEN: 'test-token',
        GITHUB_API_URL: github.url,
        WEBHOOK_SECRET,
        GITHUB_OAUTH_CLIENT_ID: github.oauth.clientId,
        GITHUB_OAUTH_CLIENT_SECRET: github.oauth.clientSecret,
        STATUS_SESSION_SECRET: randomBytes(32).toString('hex'),
      },
      log,
      ...(options.tickMs ? { tickMs: options.tickMs } : {}),
    });
  } catch (error) {
    await github.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  const url = system.url;
  /** The system's warnings and errors, for a timeout to say what went wrong inside. */
  const complaints = (): string =>
    log.entries
      .filter((entry) => entry['severity'] === 'ERROR' || entry['severity'] === 'WARNING')
      .slice(-10)
      .map((entry) => JSON.stringify(entry))
      .join('\n');

  const sendWebhook = async (event: string, payload: unknown): Promise<void> => {
    const body = JSON.stringify(payload);
    const response = await fetch(`${url}/hook`, { method: 'POST', headers: signedHeaders(WEBHOOK_SECRET, event, body), body });
    if (!response.ok) throw new Error(`the ${event} webhook was refused: ${response.status} ${await response.text()}`);
  };

  const prowJobs = async (filters: Record<string, string> = {}): Promise<ProwJob[]> => {
    const query = new URLSearchParams(filters).toString();
    const response = await fetch(`${url}/prowjobs.js${query ? `?${query}` : ''}`);
    if (!response.ok) throw new Error(`/prowjobs.js?${query} answered ${response.status}: ${await response.text()}`);
    return ((await response.json()) as { items: ProwJob[] }).items;
  };

  const waitForJob = async (job: string, done: (candidate: ProwJob) => boolean, what: string, timeoutMs = 60_000): Promise<ProwJob> => {
    let found: ProwJob | undefined;
    let seen: ProwJob[] = [];
    try {
      await waitFor(async () => {
        seen = await prowJobs({ job });
        found = seen.find(done);
        return found !== undefined;
      }, what, timeoutMs);
    } catch (error) {
      const states = seen.map((candidate) => candidate.status?.state ?? 'no state').join(', ') || 'none';
      throw new Error(`${(error as Error).message}; runs of ${job} seen: ${states}\nsystem warnings and errors:\n${complaints() || '(none)'}`);
    }
    return found as ProwJob;
  };

  let stopping: Promise<void> | undefined;
  return {
    url,
    system,
    github,
    sendWebhook,
    openPullRequest: () =>
      sendWebhook('pull_request', pullRequest('opened', { repo: FULL_REPO, number: PULL.number, author: PULL.author, title: PULL.title, headSha: PULL.headSha })),
    commentOnPullRequest: (commenter, body) =>
      sendWebhook('issue_comment', issueComment({ repo: FULL_REPO, number: PULL.number, author: PULL.author, title: PULL.title, commenter, comment: body, isPR: true })),
    prowJobs,
    waitForJob,
    stop: () =>
      (stopping ??= (async () => {
        try {
          await system.stop();
        } finally {
          await github.close();
          rmSync(dataDir, { recursive: true, force: true });
        }
      })()),
  };
}

/**
 * Debian's Chromium, headless. A machine without it fails here, loudly: these tests are part of the
 * suite, never skipped (.ci/run installs it).
 */
export async function launchBrowser(): Promise<Browser> {
  try {
    return await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
  } catch (error) {
    throw new Error(
      `Chromium could not start from ${CHROMIUM_PATH}; the browser tests need it ` +
        `(apt-get install chromium fonts-dejavu-core, as .ci/run does): ${(error as Error).message}`,
    );
  }
}

/**
 * A fresh browser context — no cookies, so signed out — on the status pages (`page.goto('/')`
 * works), at desktop size or a phone's. Element waits give up after 15 s so a missing element
 * fails with its locator rather than with the test's timeout.
 */
export async function openPage(browser: Browser, baseURL: string, size: 'desktop' | 'phone' = 'desktop'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL,
    viewport: size === 'phone' ? PHONE : DESKTOP,
    ...(size === 'phone' ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  return { context, page: await context.newPage() };
}

/**
 * Signs the page's browser in through the real flow: "Sign in with GitHub" on the current page,
 * the fake GitHub approving as `login`, and back to the same page, now saying who is signed in.
 */
export async function signIn(page: Page, github: FakeGitHub, login: string): Promise<void> {
  const before = new URL(page.url());
  github.oauth.nextLogin = login;
  await page.getByRole('link', { name: 'Sign in with GitHub' }).first().click();
  // Through /github-login and the fake GitHub's authorize page, back where the link was clicked.
  await page.waitForURL((url) => url.origin === before.origin && url.pathname === before.pathname);
  await page.getByText(`Signed in as ${login}`).waitFor();
}

/**
 * Where screenshots go: $SCREENSHOTS_DIR (`npm run screenshots` sets docs/screenshots), else one
 * temp folder each run overwrites, to look at after a run without piling up copies.
 */
export function screenshotsDir(): string {
  const configured = process.env.SCREENSHOTS_DIR;
  const dir = configured ? path.resolve(REPO_ROOT, configured) : path.join(tmpdir(), 'cutwater-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Saves what the page shows (the viewport) as `name`, and checks that a non-empty PNG was written. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const file = path.join(screenshotsDir(), name);
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  const bytes = readFileSync(file);
  // A PNG: the signature, then the IHDR chunk with a width and height that are not zero.
  const isPng = bytes.length > 33 && bytes.subarray(0, 8).equals(PNG_SIGNATURE) && bytes.toString('latin1', 12, 16) === 'IHDR';
  if (!isPng || bytes.readUInt32BE(16) === 0 || bytes.readUInt32BE(20) === 0) {
    throw new Error(`screenshot ${file} is not a non-empty PNG (${bytes.length} bytes)`);
  }
  return file;
}
