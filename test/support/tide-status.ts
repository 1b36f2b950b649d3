import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DiskArtifactStore } from '../../shared/artifacts/disk';
import { staticConfigSource } from '../../shared/config/config-source';
import type { Config } from '../../shared/config/model';
import { memoryLogger } from '../../shared/log/logger';
import { statusAuthFromEnv } from '../../shared/status/auth/from-env';
import { statusListener } from '../../shared/status/http';
import { EmbeddedStore } from '../../shared/store/embedded';
import { buildFromFiles, expectLoaded, yaml } from './config';
import { serveListener } from './listener-server';

/**
 * The status pages over real HTTP with an embedded store, for the Tide pages' tests: the store
 * is where a test puts the pool records and history a sync would have written.
 */

/** acme/widgets (with a hidden job), and secret-org, whose repositories are hidden. */
export const TIDE_CONFIG: Config = expectLoaded(
  buildFromFiles({
    config: yaml(`
      deck:
        hidden_repos: [secret-org, acme/private]
      tide:
        queries:
        - repos: [acme/widgets, acme/private]
          labels: [lgtm, approved]
          missingLabels: [do-not-merge/hold, needs-rebase]
        - orgs: [secret-org]
          labels: [lgtm]
        - orgs: [acme]
          excludedRepos: [acme/widgets]
          labels: ["lgtm,approved"]
          author: dependabot
          reviewApprovedRequired: true
    `),
    jobs: {
      'jobs.yaml': yaml(`
        presubmits:
          acme/widgets:
          - name: unit
            always_run: true
            spec: {containers: [{image: node:22, command: [node, -e, "1"]}]}
          - name: secret-scan
            hidden: true
            always_run: true
            spec: {containers: [{image: node:22, command: [node, -e, "1"]}]}
      `),
    },
  }),
);

export interface TideStatusServer {
  base: string;
  store: EmbeddedStore;
  /** GETs a path: the status, the headers and the body as text. */
  get: (path: string) => Promise<{ status: number; headers: Headers; text: string }>;
  close: () => Promise<void>;
}

export async function startTideStatus(config: Config = TIDE_CONFIG, now = Date.UTC(2026, 10, 24, 12, 5)): Promise<TideStatusServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-tide-pages-'));
  const store = EmbeddedStore.open({ now: () => now });
  const listener = statusListener({
    store,
    artifacts: new DiskArtifactStore(dir),
    log: memoryLogger(),
    config: staticConfigSource(config),
    auth: statusAuthFromEnv({ STATUS_SESSION_SECRET: 's'.repeat(40) }, {}),
    now: () => now,
  });
  const { server, base } = await serveListener(listener);
  return {
    base,
    store,
    get: async (requestPath) => {
      const response = await fetch(`${base}${requestPath}`);
      return { status: response.status, headers: response.headers, text: await response.text() };
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What a reader sees of a page: tags dropped, character references decoded, spaces collapsed. */
export function visibleText(page: string): string {
  return page
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/\s+/g, ' ')
    .replace(/ ([.,;)])/g, '$1');
}
