import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProwJob } from '../../shared/prowjob/schema';
import {
  DESKTOP,
  launchBrowser,
  openPage,
  OUTSIDER,
  PHONE,
  PULL,
  RERUNNER,
  saveScreenshot,
  signIn,
  startStatusSystem,
  type StatusSystem,
} from './harness';

/**
 * The status pages as people use them, in Chromium against `cutwater local`: a PR's jobs really
 * run (unit fails one JUnit test, lint passes, slow streams its log when asked with `/test slow`),
 * the nightly periodic runs at start-up, and a reader filters the list, reads why a job failed,
 * follows a live log, reruns (or is refused), and finds the other pages — at desktop size, on a
 * phone, and by keyboard. The tests share one system and run in order: later ones count the
 * reruns earlier ones made.
 */

let status: StatusSystem;
let browser: Browser;
/** The PR's unit run, failed with one JUnit failure; what the rerun tests rerun. */
let failedUnit: ProwJob;

const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  // The browser first: a machine without Chromium fails here, before jobs are started for nothing.
  browser = await launchBrowser();
  status = await startStatusSystem();
  await status.openPullRequest();
  failedUnit = await status.waitForJob('unit', (job) => job.status?.state === 'failure', 'the unit presubmit to fail');
  await status.waitForJob('lint', (job) => job.status?.state === 'success', 'the lint presubmit to pass');
  await status.waitForJob('nightly', (job) => job.status?.state === 'success', 'the nightly periodic to pass');
}, 180_000);

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  // A script that throws is a broken page even when the assertions above passed.
  const errors = pageErrors.splice(0);
  if (errors.length > 0) throw new Error(`the pages' scripts threw:\n${errors.join('\n')}`);
});

afterAll(async () => {
  await browser?.close();
  await status?.stop();
});

/** A new browser context (signed out) with one page, closed after the test. */
async function open(size: 'desktop' | 'phone' = 'desktop'): Promise<Page> {
  const { context, page } = await openPage(browser, status.url, size);
  contexts.push(context);
  page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  return page;
}

function jobPath(job: ProwJob): string {
  return `/view/${encodeURIComponent(job.metadata.name ?? '')}`;
}

function jobsTable(page: Page): Locator {
  return page.getByRole('table', { name: 'Jobs' });
}

/** The job list's rows as a reader sees them: the state cell's text and the job's name. */
async function listedRows(page: Page): Promise<{ state: string; job: string }[]> {
  await jobsTable(page).waitFor();
  const rows = jobsTable(page).getByRole('row').filter({ has: page.getByRole('cell') });
  // innerText puts a tab between a row's cells; one read, so an auto-refresh cannot split it.
  return (await rows.allInnerTexts()).map((text) => {
    const [state = '', job = ''] = text.split('\t').map((cell) => cell.trim());
    return { state, job };
  });
}

async function listedJobNames(page: Page): Promise<string[]> {
  return (await listedRows(page)).map((row) => row.job);
}

async function hasFocus(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element === element.ownerDocument.activeElement);
}

/** Presses the job page's "Rerun" button; the status of the POST's answer. */
async function pressRerun(page: Page): Promise<number> {
  const [answer] = await Promise.all([
    page.waitForResponse((response) => new URL(response.url()).pathname === '/rerun' && response.request().method() === 'POST'),
    page.getByRole('button', { name: 'Rerun', exact: true }).click(),
  ]);
  await page.waitForLoadState();
  return answer.status();
}

async function unitRunCount(): Promise<number> {
  return (await status.prowJobs({ job: 'unit' })).length;
}

describe('the status pages in Chromium', () => {
  it('opens the job list (the harness: Chromium starts, the page loads, a screenshot is saved)', async () => {
    const page = await open();
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
    // Start times in the reader's zone (the harness runs in UTC), named, with how long ago.
    const started = jobsTable(page).locator('td.started').first();
    await expect(started.locator('time').innerText()).resolves.toMatch(/\d{4}, \d{2}:\d{2}:\d{2} UTC$/);
    await expect(started.locator('.ago').innerText()).resolves.toMatch(/^(just now|\d+ (min|h) ago)$/);
    await saveScreenshot(page, 'job-list.png');
  }, 60_000);

  it('filters the job list by job, state and free text; the filter is in the URL, survives a reload, and Clear removes it', async () => {
    const page = await open();
    await page.goto('/');
    expect(await listedJobNames(page)).toEqual(expect.arrayContaining(['unit', 'lint', 'nightly']));
    const jobField = page.getByLabel('Job', { exact: true });

    await jobField.fill('unit');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.waitForURL((url) => url.searchParams.get('job') === 'unit');
    expect(new Set(await listedJobNames(page))).toEqual(new Set(['unit']));

    await page.reload();
    expect(await jobField.inputValue()).toBe('unit');
    expect(new Set(await listedJobNames(page))).toEqual(new Set(['unit']));

    await page.getByRole('link', { name: 'Clear', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/' && !url.searchParams.has('job'));
    expect(await jobField.inputValue()).toBe('');
    expect(await listedJobNames(page)).toEqual(expect.arrayContaining(['unit', 'lint', 'nightly']));

    // By role: a <label> around a <select> also holds the options' text, which getByLabel reads.
    await page.getByRole('combobox', { name: 'State', exact: true }).selectOption('failure');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.waitForURL((url) => url.searchParams.get('state') === 'failure');
    const failed = await listedRows(page);
    expect(failed.map((row) => row.job)).toContain('unit');
    expect(failed.map((row) => row.state)).toEqual(failed.map(() => '✖ failure'));

    await page.getByRole('link', { name: 'Clear', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/' && !url.searchParams.has('state'));
    await page.getByLabel('Search', { exact: true }).fill('nightly');
    await page.getByLabel('Search', { exact: true }).press('Enter');
    await page.waitForURL((url) => url.searchParams.get('text') === 'nightly');
    expect(new Set(await listedJobNames(page))).toEqual(new Set(['nightly']));
  }, 60_000);

  it('opens the failed job from the list and shows its failed test and message above the fold, before the log', async () => {
    const page = await open();
    await page.goto('/');
    const failedRow = jobsTable(page).getByRole('row').filter({ hasText: '✖ failure' });
    await failedRow.getByRole('link', { name: 'unit', exact: true }).first().click();
    await page.waitForURL((url) => url.pathname === jobPath(failedUnit));
    await page.getByRole('heading', { name: 'unit', level: 1 }).waitFor();
    expect(await page.getByText('✖ failure', { exact: true }).first().isVisible()).toBe(true);

    const failures = page.getByRole('region', { name: 'Failed tests' });
    await failures.waitFor();
    const text = await failures.innerText();
    expect(text).toContain('TestParseWidget');
    expect(text).toContain('expected 3 widgets, got 2');
    expect(text).toContain('3 tests, 1 failed, 0 skipped');
    // The must-show: without scrolling, the reader sees which test failed and why.
    const region = await failures.boundingBox();
    const message = await failures.getByText('expected 3 widgets, got 2').first().boundingBox();
    expect(region?.y).toBeLessThan(DESKTOP.height);
    expect((message?.y ?? Infinity) + (message?.height ?? 0)).toBeLessThanOrEqual(DESKTOP.height);
    const logHeading = await page.getByRole('heading', { name: /^Build log/ }).boundingBox();
    expect(region?.y).toBeLessThan(logHeading?.y ?? -Infinity);

    // The log: colours rendered rather than escape codes shown, the long passing stretch folded.
    const log = page.getByRole('log');
    const logText = await log.innerText();
    expect(logText).toContain('--- FAIL: TestParseWidget');
    expect(logText).not.toContain('\u001b');
    expect(logText).not.toContain('[31m');
    const failLine = log.getByText('--- FAIL: TestParseWidget (0.30s)');
    const color = await failLine.evaluate((element) => element.ownerDocument.defaultView?.getComputedStyle(element).color);
    const plainColor = await log.evaluate((element) => element.ownerDocument.defaultView?.getComputedStyle(element).color);
    expect(color).not.toBe(plainColor);
    expect(await log.getByText(/^Show \d+ lines\b/).count()).toBeGreaterThan(0);
    await saveScreenshot(page, 'job-page-failed.png');
  }, 60_000);

  it('follows a running job’s log as it streams, then shows its final state, without a reload', async () => {
    await status.commentOnPullRequest(PULL.author, '/test slow');
    const running = await status.waitForJob('slow', (job) => job.status?.state === 'pending', 'the slow presubmit to start running');
    const page = await open();
    await page.goto(jobPath(running));
    // Gone if the page reloads itself: streaming must not.
    await page.evaluate('window.cutwaterNotReloaded = true');
    await page.getByText('Live', { exact: true }).waitFor();

    const steps = page.getByRole('log').getByText(/step \d+\/40: assembling/);
    await expect.poll(() => steps.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const earlier = await steps.count();
    await expect.poll(() => steps.count(), { timeout: 15_000 }).toBeGreaterThan(earlier);
    await saveScreenshot(page, 'job-page-live.png');

    await page.getByText('✔ success', { exact: true }).first().waitFor({ timeout: 60_000 });
    // All of it, still without a reload: the stream's end is not lost to the state change.
    await expect.poll(() => steps.count()).toBe(40);
    expect(await page.evaluate('window.cutwaterNotReloaded')).toBe(true);
  }, 120_000);

  it('refuses a rerun signed out (with a way to sign in) and signed in as bob; no job is made', async () => {
    const before = await unitRunCount();
    const page = await open();
    await page.goto(jobPath(failedUnit));
    expect(await pressRerun(page)).toBe(401);
    await page.getByText('You are not allowed to rerun').first().waitFor();
    await page.getByRole('main').getByRole('link', { name: 'Sign in with GitHub' }).waitFor();
    await saveScreenshot(page, 'rerun-refused.png');

    await page.goto(jobPath(failedUnit));
    await signIn(page, status.github, OUTSIDER);
    expect(await pressRerun(page)).toBe(403);
    await page.getByText('You are not allowed to rerun').first().waitFor();
    expect(await unitRunCount()).toBe(before);
  }, 60_000);

  it('lets alice, signed in with GitHub, rerun the failed job: she lands on the new run, which says who asked', async () => {
    const before = await unitRunCount();
    const page = await open();
    await page.goto(jobPath(failedUnit));
    await signIn(page, status.github, RERUNNER);
    expect(await pressRerun(page)).toBe(303);
    await page.waitForURL((url) => url.pathname.startsWith('/view/') && url.pathname !== jobPath(failedUnit));
    const rerunName = decodeURIComponent(new URL(page.url()).pathname.slice('/view/'.length));

    await page.getByRole('heading', { name: 'unit', level: 1 }).waitFor();
    const triggeredBy = page.getByRole('term').filter({ hasText: /^Triggered by$/ }).locator('xpath=following-sibling::dd[1]');
    expect(await triggeredBy.innerText()).toBe(`Rerun of ${failedUnit.metadata.name} by ${RERUNNER}`);
    await expect.poll(unitRunCount).toBe(before + 1);
    expect((await status.prowJobs({ job: 'unit' })).map((job) => job.metadata.name)).toContain(rerunName);
  }, 60_000);

  describe('every other page renders', () => {
    it('PR history: the pull request’s jobs by head commit', async () => {
      const page = await open();
      await page.goto(jobPath(failedUnit));
      await page.getByRole('link', { name: 'PR history', exact: true }).first().click();
      await page.waitForURL((url) => url.pathname === '/pr-history' && url.searchParams.get('pr') === String(PULL.number));
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.getByText(PULL.headSha.slice(0, 7)).first().waitFor();
      await page.getByRole('link', { name: 'unit', exact: true }).first().waitFor();
      await page.getByRole('link', { name: 'lint', exact: true }).first().waitFor();
      await saveScreenshot(page, 'pr-history.png');
    }, 60_000);

    it('job history: the runs of unit with a pass/fail and duration chart', async () => {
      const page = await open();
      await page.goto(jobPath(failedUnit));
      await page.getByRole('link', { name: 'Job history', exact: true }).first().click();
      await page.waitForURL((url) => url.pathname === '/job-history/unit');
      await page.getByRole('heading', { level: 1 }).waitFor();
      const chart = page.getByRole('img').first();
      await chart.waitFor();
      expect(await chart.evaluate((element) => element.tagName.toLowerCase())).toBe('svg');
      expect(await chart.getAttribute('aria-label')).toMatch(/\S/);
      expect(await page.getByRole('main').innerText()).toContain(failedUnit.status?.build_id ?? 'a build ID');
      await saveScreenshot(page, 'job-history.png');
    }, 60_000);

    it('plugins: the plugins enabled for acme, /hold among their commands', async () => {
      const page = await open();
      await page.goto('/');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Plugins', exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/plugins');
      await page.getByText('/hold').first().waitFor();
      const text = await page.getByRole('main').innerText();
      for (const plugin of ['trigger', 'lgtm', 'hold', 'approve', 'size']) expect(text).toContain(plugin);
      // Only the plugins plugins.yaml enables, with the way to the rest.
      expect(await page.locator('section.plugin').count()).toBe(5);
      await page.getByRole('link', { name: /^Show all \d+ plugins/ }).waitFor();
      await saveScreenshot(page, 'plugins.png');
    }, 60_000);

    it('command help: the commands people can type, /hold and /lgtm among them', async () => {
      const page = await open();
      await page.goto('/');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Command help', exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/command-help');
      await page.getByText('/hold').first().waitFor();
      await page.getByText('/lgtm').first().waitFor();
      const layout = await page.locator('#commands').evaluate((table) => {
        const width = table.getBoundingClientRect().width;
        return {
          columns: [...table.querySelectorAll('thead th')].map((th) => th.getBoundingClientRect().width / width),
          boldRows: [...table.querySelectorAll('tbody th')].filter((th) => Number((globalThis as unknown as { getComputedStyle(element: unknown): { fontWeight: string } }).getComputedStyle(th).fontWeight) >= 600).length,
          brokenPluginNames: [...table.querySelectorAll('tbody td:last-child a')].filter((a) => a.getClientRects().length > 1).map((a) => a.textContent),
        };
      });
      // The description is the widest column; the command column stays narrow.
      expect(layout.columns[0]).toBeLessThan(0.3);
      expect(layout.columns[1]).toBeGreaterThan(layout.columns[0]!);
      expect(layout.boldRows).toBe(0);
      expect(layout.brokenPluginNames).toEqual([]);
      // All of it fits the page: no column pushed off to the right.
      expect(await page.evaluate('document.querySelector("#commands").scrollWidth <= document.querySelector("#commands").parentElement.clientWidth')).toBe(true);
      await saveScreenshot(page, 'command-help.png');
    }, 60_000);

    it('configured jobs: acme/widgets’ jobs, unit listed', async () => {
      const page = await open();
      const response = await page.goto('/configured-jobs/acme/widgets');
      expect(response?.status()).toBe(200);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.getByText('unit', { exact: true }).first().waitFor();
      await page.getByText('slow', { exact: true }).first().waitFor();
      const main = await page.getByRole('main').innerText();
      // Sources are named from the config root: the demo's temporary directory never shows.
      expect(main).toMatch(/\.yaml:\d+/);
      expect(main).not.toMatch(/(^|\s)\/(tmp|home|var|work)\//m);
      const cells = await page.locator('table.configured-jobs tbody td').evaluateAll((tds) =>
        tds.filter((td) => td.getBoundingClientRect().width > 0).map((td) => ({ width: td.getBoundingClientRect().width, image: td.classList.contains('image') })),
      );
      // No column squeezed to a few letters a line, and the image column bounded.
      expect(Math.min(...cells.map((cell) => cell.width))).toBeGreaterThanOrEqual(80);
      for (const cell of cells.filter((one) => one.image)) expect(cell.width).toBeLessThanOrEqual(16 * 16 + 24);
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(DESKTOP.width);
      await saveScreenshot(page, 'configured-jobs.png');
    }, 60_000);

    it('health: reached from the navigation; the token’s rate limit as GitHub reported it, its reset in the reader’s time zone', async () => {
      const page = await open();
      await page.goto('/');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Health', exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/health');
      const components = page.getByRole('table', { name: 'Components' });
      await expect(components.getByRole('row', { name: /^Store/ }).innerText()).resolves.toMatch(/ok\s+Answering/);
      // Local mode's runner records itself; the PR's webhook was counted, and the bus's backlog is its own.
      const runners = await components.getByRole('row', { name: /^Runners/ }).innerText();
      expect(runners).toMatch(/local in cluster default: version [\d.]+, last heartbeat [\d:]+ UTC \([\dms]+ ago\), \d+ jobs? held/);
      const intake = await components.getByRole('row', { name: /^Webhook intake/ }).innerText();
      expect(intake).toMatch(/Deliveries accepted: [\d,]+ in the last minute, [1-9][\d,]* in the last hour/);
      expect(intake).toMatch(/events \(topic github-events\): [\d,]+ messages? not yet acknowledged/);
      const token = page.getByRole('table', { name: 'GitHub budget per installation' }).getByRole('row', { name: /^token/ });
      const cells = await token.innerText();
      // The fake GitHub reports 5000 requests an hour and counts the ones it answered.
      expect(cells).toMatch(/core [\d,]+ of 5,000 left, resets/);
      // The page's script turned the UTC time into the reader's (the harness's UTC) with the zone named.
      await expect(token.locator('time').first().innerText()).resolves.toMatch(/UTC$/);
      await saveScreenshot(page, 'health.png');
    }, 60_000);

    it('badge.svg: a valid SVG for a list of jobs and patterns', async () => {
      const page = await open();
      const response = await page.goto('/badge.svg?jobs=unit,lint*');
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-type']).toMatch(/^image\/svg\+xml/);
      // Chromium parses it as XML: malformed markup would give a parsererror document instead.
      expect(await page.evaluate('document.documentElement.namespaceURI')).toBe('http://www.w3.org/2000/svg');
      expect(await page.evaluate('document.getElementsByTagName("parsererror").length')).toBe(0);
    }, 60_000);

    it('the job list on a phone: no sideways scrolling', async () => {
      const page = await open('phone');
      await page.goto('/');
      await jobsTable(page).waitFor();
      expect(await listedJobNames(page)).toEqual(expect.arrayContaining(['unit', 'lint', 'nightly']));
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
      await saveScreenshot(page, 'job-list-phone.png');
    }, 60_000);
  });

  it('by keyboard: the first Tab reaches "Skip to content", and the filter form’s first field follows soon', async () => {
    const page = await open();
    await page.goto('/');
    const skipLink = page.getByRole('link', { name: 'Skip to content' });
    const firstField = page.getByRole('search', { name: 'Filter jobs' }).getByLabel('Repository', { exact: true });

    await page.keyboard.press('Tab');
    expect(await hasFocus(skipLink)).toBe(true);
    // Past the header's few links (brand, navigation, sign-in) to the form.
    let presses = 0;
    while (!(await hasFocus(firstField)) && presses < 10) {
      await page.keyboard.press('Tab');
      presses += 1;
    }
    expect(await hasFocus(firstField)).toBe(true);

    // The skip link skips the header: Enter, then one Tab, and the reader is in the form.
    await page.reload();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await hasFocus(firstField)).toBe(true);
  }, 60_000);
});
