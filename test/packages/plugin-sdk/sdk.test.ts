import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cloudFunction, definePlugin, findCommands, serve, type Plugin, type ServeOptions } from '../../../packages/plugin-sdk/src/index';
import { commentPayload, signedDelivery, testPlugin, type PluginUnderTest } from '../../../packages/plugin-sdk/src/testing';
import { signedHeaders } from '../../../shared/webhook/signing';
import { startPluginHarness } from '../../support/plugin-harness';
import { DiskArtifactStore } from '../../../shared/artifacts/disk';
import { staticConfigSource } from '../../../shared/config/config-source';
import { memoryLogger } from '../../../shared/log/logger';
import { statusAuthFromEnv } from '../../../shared/status/auth/from-env';
import { statusListener } from '../../../shared/status/http';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { buildFromFiles, expectLoaded } from '../../support/config';
import { serveListener } from '../../support/listener-server';

/**
 * The plugin SDK as a plugin's author meets it: handlers typed like Cutwater's own plugins, driven
 * by signed deliveries over HTTP (as Cutwater's engine and Prow's hook send them), writing to a fake
 * GitHub; `/help` in Prow's PluginHelp JSON; the security boundary (signature, headers, body).
 */

const helloHelp = {
  description: 'Says hello.',
  commands: [{ usage: '/hello', description: 'Answers with a greeting.', examples: ['/hello'], who: 'Anyone', featured: true }],
};

function helloPlugin() {
  return definePlugin('hello', helloHelp).onComment(async ({ comment, issue }) => {
    if (comment.action !== 'created' || findCommands(comment.body, 'hello').length === 0) return;
    await issue.createComment(`Hello, @${comment.author}!`);
  });
}

const open: PluginUnderTest[] = [];
async function start<C>(definition: Plugin<C>, options?: ServeOptions): Promise<PluginUnderTest> {
  const plugin = await testPlugin(definition, options);
  open.push(plugin);
  return plugin;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((plugin) => plugin.close()));
});

describe('handlers', () => {
  it('answers a /hello comment on the issue it was written on', async () => {
    const plugin = await start(helloPlugin());
    const answer = await plugin.deliver('issue_comment', commentPayload({ org: 'acme', repo: 'rockets', number: 7, body: 'hi\n/hello', author: 'bob' }));
    expect(answer.status).toBe(200);
    expect(plugin.github.comments).toEqual([{ org: 'acme', repo: 'rockets', number: 7, body: 'Hello, @bob!' }]);
  });

  it('ignores edited comments, comments without the command and quoted commands', async () => {
    const plugin = await start(helloPlugin());
    await plugin.deliver('issue_comment', commentPayload({ body: '/hello', action: 'edited' }));
    await plugin.deliver('issue_comment', commentPayload({ body: 'hello there' }));
    await plugin.deliver('issue_comment', commentPayload({ body: '> /hello' }));
    expect(plugin.github.comments).toEqual([]);
  });

  it('sees commands in a pull request review and in a new issue body, as generic comments', async () => {
    const plugin = await start(helloPlugin());
    const review = {
      action: 'submitted',
      review: { body: '/hello', user: { login: 'carol' }, html_url: 'https://github.com/acme/widgets/pull/3#r', state: 'APPROVED' },
      pull_request: { number: 3, title: 'T', body: '', state: 'open', html_url: 'https://github.com/acme/widgets/pull/3', user: { login: 'x' }, labels: [], assignees: [] },
      repository: { name: 'widgets', owner: { login: 'acme' } },
    };
    await plugin.deliver('pull_request_review', review);
    const opened = {
      action: 'opened',
      issue: { number: 4, title: 'T', body: '/hello', state: 'open', html_url: 'https://github.com/acme/widgets/issues/4', user: { login: 'dave' }, labels: [], assignees: [] },
      repository: { name: 'widgets', owner: { login: 'acme' } },
    };
    await plugin.deliver('issues', opened);
    expect(plugin.github.comments.map((comment) => [comment.number, comment.body])).toEqual([
      [3, 'Hello, @carol!'],
      [4, 'Hello, @dave!'],
    ]);
  });

  it('runs an event handler for its action only, with the issue bound', async () => {
    const plugin = await start(
      definePlugin('triage', { description: 'Labels new issues.' }).on('issues.opened', async ({ issue, event }) => {
        await issue?.addLabels([`needs-triage`, `by/${event.payload.issue.user?.login ?? ''}`]);
      }),
    );
    const issue = (action: string) => ({
      action,
      issue: { number: 9, title: 'T', body: '', state: 'open', html_url: 'https://github.com/acme/widgets/issues/9', user: { login: 'erin' }, labels: [], assignees: [] },
      repository: { name: 'widgets', owner: { login: 'acme' } },
    });
    expect((await plugin.deliver('issues', issue('closed'))).body).toMatchObject({ handlers: 0 });
    expect(plugin.github.labelsOf('acme', 'widgets', 9)).toEqual([]);
    await plugin.deliver('issues', issue('opened'));
    expect(plugin.github.labelsOf('acme', 'widgets', 9)).toEqual(['by/erin', 'needs-triage']);
  });

  it('answers 500 when a handler fails, and the other handlers still finish', async () => {
    const plugin = await start(
      helloPlugin().onComment(async () => {
        throw new Error('boom');
      }),
    );
    const answer = await plugin.deliver('issue_comment', commentPayload({ body: '/hello' }));
    expect(answer.status).toBe(500);
    expect(plugin.github.comments).toHaveLength(1);
    expect(plugin.logs.some((line) => line.severity === 'ERROR' && JSON.stringify(line).includes('boom'))).toBe(true);
  });

  it('logs JSON lines carrying the delivery ID, event and repository', async () => {
    const plugin = await start(
      definePlugin('logger', { description: 'Logs.' }).onComment(async ({ log }) => {
        log.info('saw a comment', { extra: 1 });
      }),
    );
    await plugin.deliver('issue_comment', commentPayload({ org: 'acme', repo: 'rockets', body: 'x' }));
    const line = plugin.logs.find((entry) => entry.message === 'saw a comment');
    expect(line).toMatchObject({ severity: 'INFO', plugin: 'logger', repo: 'acme/rockets', event: 'issue_comment.created', extra: 1 });
    expect(typeof line?.deliveryId).toBe('string');
  });
});

describe('the HTTP boundary', () => {
  it('refuses deliveries whose signature is missing or wrong with 401, and runs nothing', async () => {
    const plugin = await start(helloPlugin());
    const { headers, body } = signedDelivery('another-secret', 'issue_comment', commentPayload({ body: '/hello' }));
    expect((await fetch(plugin.url, { method: 'POST', headers, body })).status).toBe(401);
    const { 'x-hub-signature-256': _dropped, ...unsigned } = headers;
    expect((await fetch(plugin.url, { method: 'POST', headers: unsigned, body })).status).toBe(401);
    // The right signature over other bytes is a forgery too.
    const good = signedDelivery(plugin.secret, 'issue_comment', commentPayload({ body: 'harmless' }));
    expect((await fetch(plugin.url, { method: 'POST', headers: good.headers, body })).status).toBe(401);
    expect(plugin.github.comments).toEqual([]);
  });

  it('accepts any of several secrets, as during a rotation', async () => {
    const plugin = await start(helloPlugin(), { secrets: ['old-secret', 'new-secret'] });
    const { headers, body } = signedDelivery('old-secret', 'issue_comment', commentPayload({ body: '/hello' }));
    expect((await fetch(plugin.url, { method: 'POST', headers, body })).status).toBe(200);
    expect(plugin.github.comments).toHaveLength(1);
  });

  it('answers 400 for a request that is not a GitHub delivery', async () => {
    const plugin = await start(helloPlugin());
    const { headers, body } = signedDelivery(plugin.secret, 'issue_comment', commentPayload({ body: '/hello' }));
    const { 'x-github-event': _event, ...noEvent } = headers;
    expect((await fetch(plugin.url, { method: 'POST', headers: noEvent, body })).status).toBe(400);
    const { 'x-github-delivery': _delivery, ...noDelivery } = headers;
    expect((await fetch(plugin.url, { method: 'POST', headers: noDelivery, body })).status).toBe(400);
    expect((await fetch(plugin.url, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body })).status).toBe(400);
    // Signed correctly, but not JSON.
    expect((await fetch(plugin.url, { method: 'POST', headers: signedHeaders(plugin.secret, 'issue_comment', '{not json'), body: '{not json' })).status).toBe(400);
    expect((await fetch(plugin.url)).status).toBe(405);
    expect(plugin.github.comments).toEqual([]);
  });

  it('serves its help in Prow\'s PluginHelp JSON at /help', async () => {
    const plugin = await start(definePlugin('hello', { ...helloHelp, config: 'Greets everyone.' }).onComment(async () => undefined).on('pull_request.opened', async () => undefined));
    expect(await plugin.help()).toEqual({
      Description: 'Says hello.',
      Config: { '': 'Greets everyone.' },
      Events: ['issue_comment', 'issues', 'pull_request', 'pull_request_review', 'pull_request_review_comment'],
      Commands: [{ Usage: '/hello', Featured: true, Description: 'Answers with a greeting.', Examples: ['/hello'], WhoCanUse: 'Anyone' }],
    });
    // Prow's hook POSTs the enabled repositories; anything else is refused.
    const posted = await fetch(`${plugin.url}/help`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[{"Org":"acme","Repo":"widgets"}]' });
    expect(posted.status).toBe(200);
    expect((await fetch(`${plugin.url}/help`, { method: 'POST', body: '{"Org":1}' })).status).toBe(400);
    expect((await fetch(`${plugin.url}/help`)).status).toBe(200);
  });
});

describe('settings, GitHub identity and jobs', () => {
  it('reads its typed section from the config file it is given, and refuses to start on a bad one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sdk-config-'));
    try {
      const file = path.join(dir, 'plugins.yaml');
      writeFileSync(file, 'greeter:\n  greeting: Ahoy\nexternal_plugins: {}\n');
      const greeter = () =>
        definePlugin('greeter', { description: 'Greets.' })
          .settings(z.object({ greeting: z.string() }))
          .onComment(async ({ config, issue }) => {
            await issue.createComment(`${config?.greeting ?? 'Hello'}!`);
          });
      const plugin = await start(greeter(), { env: { PLUGIN_CONFIG: file } });
      await plugin.deliver('issue_comment', commentPayload({ body: 'x' }));
      expect(plugin.github.comments.map((comment) => comment.body)).toEqual(['Ahoy!']);
      writeFileSync(file, 'greeter:\n  greeting: 3\n');
      expect(() => serve(greeter(), { secrets: ['s'], configFile: file, env: {} })).toThrow(/"greeter" config section is invalid/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('acts as the App installation that sent the event, with a minted installation token', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const fake = await start(helloPlugin());
    const app = await start(helloPlugin(), { github: { appId: '12345', privateKey, apiUrl: fake.github.url } });
    await app.deliver('issue_comment', commentPayload({ body: '/hello', installationId: 42 }));
    expect(fake.github.requests.map((request) => request.call)).toEqual(['POST /app/installations/42/access_tokens', 'POST /repos/acme/widgets/issues/1/comments']);
    expect(fake.github.requests[1]?.token).toBe(fake.github.installationTokens[0]);
    expect(fake.github.comments).toHaveLength(1);
  });

  it('creates ProwJobs through Cutwater\'s job API with its token', async () => {
    const plugin = await start(
      definePlugin('jobber', { description: 'Starts a job.' }).onComment(async ({ createProwJob, comment }) => {
        await createProwJob({ spec: { type: 'periodic', job: 'nightly', report: false }, labels: { 'requested-by': comment.author } });
      }),
    );
    await plugin.deliver('issue_comment', commentPayload({ body: 'go', author: 'frank' }));
    expect(plugin.github.prowJobs).toEqual([
      expect.objectContaining({ kind: 'ProwJob', spec: { type: 'periodic', job: 'nightly', report: false }, metadata: expect.objectContaining({ labels: { 'requested-by': 'frank' } }), status: expect.objectContaining({ state: 'triggered' }) }),
    ]);
  });
});

describe('envs through the HTTP job API', () => {
  it('puts envs on every container of the pod spec, and refuses them for a job without one', async () => {
    const plugin = await start(
      definePlugin('jobber', { description: 'Starts a job.' }).onComment(async ({ createProwJob, comment }) => {
        const podSpec = comment.body === 'with pod' ? { pod_spec: { containers: [{ image: 'alpine', env: [{ name: 'MODE', value: 'config' }] }] } } : {};
        await createProwJob({ spec: { type: 'periodic', job: 'nightly', ...podSpec }, envs: { MODE: 'plugin', RUN: '7' } });
      }),
    );
    expect((await plugin.deliver('issue_comment', commentPayload({ body: 'with pod' }))).status).toBe(200);
    expect(plugin.github.prowJobs).toEqual([
      expect.objectContaining({ spec: expect.objectContaining({ pod_spec: { containers: [{ image: 'alpine', env: [{ name: 'MODE', value: 'plugin' }, { name: 'RUN', value: '7' }] }] } }) }),
    ]);
    const refused = await plugin.deliver('issue_comment', commentPayload({ body: 'bare' }));
    expect(refused.status).toBe(500);
    expect(JSON.stringify(refused.body)).toContain('envs are set on the containers of spec.pod_spec');
    expect(plugin.github.prowJobs).toHaveLength(1);
  });
});

describe('Cutwater\'s job API', () => {
  it('stores the ProwJob createProwJob sends to cutwater local\'s POST /api/prowjobs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sdk-jobs-'));
    const store = EmbeddedStore.open();
    const { server, base } = await serveListener(
      statusListener({
        store,
        artifacts: new DiskArtifactStore(dir),
        log: memoryLogger(),
        config: staticConfigSource(expectLoaded(buildFromFiles({}))),
        auth: statusAuthFromEnv({ STATUS_SESSION_SECRET: 's'.repeat(40) }, {}),
        jobCreationToken: 'api-token-for-sdk-tests',
      }),
    );
    try {
      const jobber = definePlugin('jobber', { description: 'Starts a job.' }).onComment(async ({ createProwJob }) => {
        await createProwJob({ name: 'sdk-made-job', spec: { type: 'periodic', job: 'nightly' } });
      });
      const plugin = await start(jobber, { jobApi: { url: base, token: 'api-token-for-sdk-tests' } });
      expect((await plugin.deliver('issue_comment', commentPayload({ body: 'go' }))).status).toBe(200);
      const stored = await store.jobs.get('sdk-made-job');
      expect(stored?.job.spec).toMatchObject({ type: 'periodic', job: 'nightly' });
      // A wrong token is refused, and the plugin's answer says so.
      const refused = await start(jobber, { jobApi: { url: base, token: 'wrong' } });
      const answer = await refused.deliver('issue_comment', commentPayload({ body: 'go' }));
      expect(answer.status).toBe(500);
      expect(JSON.stringify(answer.body)).toContain('Cutwater refused the ProwJob (401)');
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('as a Cloud Function', () => {
  it('verifies the bytes the Functions Framework kept in rawBody', async () => {
    const plugin = await start(helloPlugin());
    const handler = cloudFunction(helloPlugin(), { secrets: [plugin.secret], github: { token: 't', apiUrl: plugin.github.url }, env: {}, logSink: () => undefined });
    // Express has consumed the stream and parsed the JSON; only rawBody is left to verify.
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => void handler(Object.assign(request, { rawBody: Buffer.concat(chunks) }), response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const { headers, body } = signedDelivery(plugin.secret, 'issue_comment', commentPayload({ body: '/hello' }));
      expect((await fetch(url, { method: 'POST', headers, body })).status).toBe(200);
      expect(plugin.github.comments).toHaveLength(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('with Cutwater', () => {
  it('receives what Cutwater\'s engine forwards to the external plugin, signed with the webhook secret', async () => {
    const plugin = await start(helloPlugin(), { secrets: ['shared-hmac'] });
    const cutwater = await startPluginHarness({
      plugins: `external_plugins:\n  acme/widgets:\n  - name: hello\n    endpoint: ${plugin.url}\n    events: [issue_comment]\n`,
      registry: [],
      hmacSecret: 'shared-hmac',
    });
    const outcome = await cutwater.deliver('issue_comment', commentPayload({ body: '/hello', author: 'gina' }));
    expect(outcome.handled).toEqual(['external:hello']);
    expect(plugin.github.comments.map((comment) => comment.body)).toEqual(['Hello, @gina!']);
  });
});
