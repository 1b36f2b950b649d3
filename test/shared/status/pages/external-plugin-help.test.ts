import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, findCommands } from '../../../../packages/plugin-sdk/src/index';
import { testPlugin, type PluginUnderTest } from '../../../../packages/plugin-sdk/src/testing';
import { DiskArtifactStore } from '../../../../shared/artifacts/disk';
import { staticConfigSource } from '../../../../shared/config/config-source';
import { memoryLogger } from '../../../../shared/log/logger';
import { statusAuthFromEnv } from '../../../../shared/status/auth/from-env';
import { externalHelpSource, type ExternalHelpOptions } from '../../../../shared/status/external-help';
import { statusListener } from '../../../../shared/status/http';
import { EmbeddedStore } from '../../../../shared/store/embedded';
import { buildFromFiles, expectLoaded, yaml } from '../../../support/config';
import { serveListener } from '../../../support/listener-server';

/**
 * /plugins and /command-help with external plugins, as Prow's deck shows them: each plugin's own
 * help, fetched from `POST <endpoint>/help` — here a real SDK plugin over HTTP — next to one that
 * answers with markup, one that is too slow and one that fails, none of which may spoil the page.
 */

const greeter = definePlugin('greeter', {
  description: 'Greets people who ask, and explains `/greet` in its answer.',
  config: { '': 'Reads `greeting` from its own file.', 'acme/private': 'Something about a hidden repo.' },
  commands: [{ usage: '/greet [name]', description: 'Posts a greeting.', examples: ['/greet', '/greet Ada'], who: 'Anyone', featured: true }],
}).onComment(async ({ comment, issue }) => {
  if (findCommands(comment.body, 'greet').length > 0) await issue.createComment('Hello!');
});

const MARKUP = '<script>alert(1)</script><img src=x onerror=alert(2)>';

interface Fake {
  server: Server;
  url: string;
}

async function fakePlugin(answer: (respond: (status: number, body: string) => void) => void): Promise<Fake> {
  const server = createServer((_request, response) => {
    answer((status, body) => response.writeHead(status, { 'content-type': 'application/json' }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let sdkPlugin: PluginUnderTest;
let hostile: Fake;
let slow: Fake;
let broken: Fake;
const dir = mkdtempSync(path.join(tmpdir(), 'external-help-'));
const store = EmbeddedStore.open();
/** Every /help request the status pages made: its URL and body. */
const asked: { url: string; body: string }[] = [];

async function statusPages(options: ExternalHelpOptions = {}): Promise<{ get: (path: string) => Promise<string>; close: () => Promise<void> }> {
  const plugins = yaml(`
    plugins:
      acme:
        plugins: [hold]
      acme/widgets:
        plugins: [size]
    external_plugins:
      acme:
      - name: greeter
        endpoint: ${sdkPlugin.url}/hook
        events: [issue_comment]
      - name: evil
        endpoint: ${hostile.url}
      acme/widgets:
      - name: sleepy
        endpoint: ${slow.url}
      - name: broken
        endpoint: ${broken.url}
  `);
  const recording: typeof fetch = async (url, init) => {
    asked.push({ url: String(url), body: typeof init?.body === 'string' ? init.body : '' });
    return fetch(url, init);
  };
  const { server, base } = await serveListener(
    statusListener({
      store,
      artifacts: new DiskArtifactStore(dir),
      log: memoryLogger(),
      config: staticConfigSource(expectLoaded(buildFromFiles({ plugins, config: yaml('deck: {hidden_repos: [acme/private]}') }))),
      auth: statusAuthFromEnv({ STATUS_SESSION_SECRET: 's'.repeat(40) }, {}),
      externalHelp: externalHelpSource({ fetch: recording, timeoutMs: 500, ...options }),
    }),
  );
  return {
    get: async (pagePath) => {
      const response = await fetch(`${base}${pagePath}`);
      expect(response.status).toBe(200);
      return response.text();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function section(page: string, id: string): string {
  const start = page.indexOf(`id="${id}"`);
  if (start < 0) throw new Error(`no ${id} in:\n${page}`);
  return page.slice(start, page.indexOf('</section>', start));
}

beforeAll(async () => {
  sdkPlugin = await testPlugin(greeter);
  hostile = await fakePlugin((respond) =>
    respond(200, JSON.stringify({ Description: MARKUP, Config: { '': MARKUP }, Events: null, Commands: [{ Usage: `/evil ${MARKUP}`, Featured: false, Description: MARKUP, Examples: [MARKUP], WhoCanUse: MARKUP }] })),
  );
  // Answers, but long after the status page's deadline.
  slow = await fakePlugin((respond) => setTimeout(() => respond(200, JSON.stringify({ Description: 'Too late.', Commands: [] })), 3_000));
  broken = await fakePlugin((respond) => respond(200, JSON.stringify({ Description: 42 })));
});

afterAll(async () => {
  await sdkPlugin.close();
  for (const fake of [hostile, slow, broken]) {
    fake.server.closeAllConnections();
    await new Promise((resolve) => fake.server.close(resolve));
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('external plugins on /plugins and /command-help', () => {
  it('shows an SDK plugin\'s own description, settings and commands, and asks it as Prow\'s hook does', async () => {
    const pages = await statusPages();
    try {
      const page = await pages.get('/plugins');
      const greeterSection = section(page, 'external-plugin-greeter');
      expect(greeterSection).toContain('Greets people who ask, and explains <code>/greet</code> in its answer.');
      expect(greeterSection).toContain('Reads <code>greeting</code> from its own file.');
      expect(greeterSection).toContain('<code class="usage"><span class="nowrap">/greet</span> <span class="nowrap">[name]</span></code>');
      expect(greeterSection).toContain('<code class="example">/greet Ada</code>');
      // The events are the ones plugins.yaml forwards to it.
      expect(greeterSection).toMatch(/<dt>Events<\/dt><dd><code>issue_comment<\/code><\/dd>/);
      // The endpoint's path is kept and /help appended; the body lists where it is enabled.
      const request = asked.find((entry) => entry.url.startsWith(sdkPlugin.url));
      expect(request?.url).toBe(`${sdkPlugin.url}/hook/help`);
      expect(JSON.parse(request?.body ?? '')).toEqual([{ Org: 'acme', Repo: '' }]);

      const commands = await pages.get('/command-help');
      const row = commands.split('\n').find((line) => line.includes('/greet [name]'));
      expect(row).toContain('href="/plugins#external-plugin-greeter"');
      expect(row).toContain('<span class="muted">(featured)</span>');
    } finally {
      await pages.close();
    }
  });

  it('escapes whatever a hostile plugin sends, so it cannot put markup on the page', async () => {
    const pages = await statusPages();
    try {
      for (const page of [await pages.get('/plugins'), await pages.get('/command-help')]) {
        expect(page).not.toContain('<script>alert');
        expect(page).not.toContain('<img src=x');
        expect(page).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
      }
      expect(section(await pages.get('/plugins'), 'external-plugin-evil')).toContain('<code class="usage"><span class="nowrap">/evil</span> <span class="nowrap">&#60;script&#62;');
    } finally {
      await pages.close();
    }
  });

  it('shows "help unavailable" for a slow plugin and one with invalid help, and the page still comes promptly', async () => {
    const pages = await statusPages();
    try {
      const started = Date.now();
      const page = await pages.get('/plugins?repo=acme/widgets');
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(section(page, 'external-plugin-sleepy')).toContain('Help unavailable');
      expect(section(page, 'external-plugin-broken')).toContain('Help unavailable');
      expect(section(page, 'external-plugin-sleepy')).not.toContain('Too late.');
      // The others are unaffected, and the in-tree plugins are all there.
      expect(section(page, 'external-plugin-greeter')).toContain('<code class="usage"><span class="nowrap">/greet</span> <span class="nowrap">[name]</span></code>');
      expect(page).toContain('id="plugin-hold"');
      // A repository's page shows the plugin's words for that repository only.
      expect(page).not.toContain('Something about a hidden repo.');
    } finally {
      await pages.close();
    }
  });

  it('asks each plugin once while its answer is fresh, and again once it is stale', async () => {
    let clock = 1_000_000;
    const pages = await statusPages({ now: () => clock, ttlMs: 60_000 });
    try {
      const before = asked.filter((entry) => entry.url.startsWith(sdkPlugin.url)).length;
      await pages.get('/plugins');
      await pages.get('/command-help');
      await pages.get('/plugins');
      const fresh = asked.filter((entry) => entry.url.startsWith(sdkPlugin.url)).length;
      expect(fresh - before).toBe(1);
      clock += 61_000;
      await pages.get('/plugins');
      expect(asked.filter((entry) => entry.url.startsWith(sdkPlugin.url)).length - fresh).toBe(1);
    } finally {
      await pages.close();
    }
  });

  it('never names a hidden repository, even when a plugin\'s help does', async () => {
    const pages = await statusPages();
    try {
      const page = await pages.get('/plugins');
      expect(section(page, 'external-plugin-greeter')).toContain('<dt>Configured for</dt><dd>acme</dd>');
      expect(section(page, 'external-plugin-greeter')).toContain('Reads <code>greeting</code> from its own file.');
      expect(page).not.toContain('acme/private');
    } finally {
      await pages.close();
    }
  });
});
