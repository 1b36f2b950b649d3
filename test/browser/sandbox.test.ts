import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../cli/local/system';
import type { ConfigPaths } from '../../shared/config/load';
import { memoryLogger } from '../../shared/log/logger';
import { REPO_ROOT } from '../support/config';
import { launchBrowser, openPage } from './harness';

/**
 * The sandbox page in Chromium: `cutwater local` on the demo config with no credentials; a person
 * opens a PR, comments `/hold`, and sees the label arrive without reloading (the page polls).
 */

const DEMO: ConfigPaths = {
  configPath: path.join(REPO_ROOT, 'cli/demo/config.yaml'),
  jobConfigPath: path.join(REPO_ROOT, 'cli/demo/jobs'),
  pluginConfigPath: path.join(REPO_ROOT, 'cli/demo/plugins.yaml'),
};

let browser: Browser;
let system: LocalSystem;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'cutwater-sandbox-browser-'));
  system = await startLocalSystem({ configPaths: DEMO, dataDir, port: 0, env: {}, log: memoryLogger(), tickMs: 3_600_000 });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await system?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the sandbox page', () => {
  it('opens a PR, takes a /hold comment, and shows the hold label and the presubmit’s status as they arrive', async () => {
    const { context, page } = await openPage(browser, system.url);
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    // Every request the page makes is answered; the browser's own favicon guess is no page's.
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) problems.push(`${response.status()} ${response.url()}`);
    });
    try {
      await page.goto('/sandbox');
      expect(await page.locator('header .github-in-use').textContent()).toContain('sandbox');
      await page.getByLabel('Title').fill('Say hello');
      await page.locator('#open-path0').fill('hello.txt');
      await page.locator('#open-content0').fill('hello\n');
      await page.getByRole('button', { name: 'Open pull request' }).click();

      const pr = page.locator('#pr-demo-org-demo-repo-1');
      await pr.waitFor();
      expect(await pr.locator('h3').textContent()).toBe('demo-org/demo-repo#1: Say hello');
      await pr.locator('summary').click();
      await pr.locator('#pr-demo-org-demo-repo-1-comment').fill('/hold');
      await pr.getByRole('button', { name: 'Comment', exact: true }).click();

      // Arrive after the redirect's render: brought in by the page's polling.
      await page.locator('#pr-demo-org-demo-repo-1 .sandbox-labels .label', { hasText: 'do-not-merge/hold' }).waitFor({ timeout: 30_000 });
      await page.locator('#pr-demo-org-demo-repo-1 td.state-success').waitFor({ timeout: 60_000 });
      expect(await page.locator('#pr-demo-org-demo-repo-1 .sandbox-comments').textContent()).toContain('/hold');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
