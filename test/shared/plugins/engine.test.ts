import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { readBody } from '../../../shared/http/node';
import { LANES } from '../../../shared/plugins/lanes';
import { definePlugin } from '../../../shared/plugins/plugin';
import { signatureMatches } from '../../../shared/webhook/receive';
import { yaml } from '../../support/config';
import { issueComment, pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

/** The plugin engine as Prow's hook: enabling per org and repo, isolation, external plugins. */
describe('plugin engine', () => {
  let harness: PluginHarness | undefined;

  const calls: string[] = [];
  const recorder = (name: string) =>
    definePlugin(name, { description: `records ${name}` })
      .on('pull_request.opened', async () => void calls.push(`${name}:opened`))
      .onComment(async (context) => void calls.push(`${name}:comment:${context.comment.body}`));
  const broken = definePlugin('hold', { description: 'always fails' }).onComment(async () => {
    throw new Error('the hold plugin broke');
  });

  it('runs the plugins enabled for the org and the repo, minus excluded repos', async () => {
    calls.length = 0;
    harness = await startPluginHarness({
      plugins: yaml(`
        plugins:
          acme:
            excluded_repos: [legacy]
            plugins: [size]
          acme/widgets:
            plugins: [wip]
      `),
      registry: [recorder('size'), recorder('wip'), recorder('lgtm')],
    });
    await harness.deliver('pull_request', pullRequest('opened', { repo: 'acme/widgets' }));
    expect(calls.sort()).toEqual(['size:comment:', 'size:opened', 'wip:comment:', 'wip:opened']);
    calls.length = 0;
    await harness.deliver('pull_request', pullRequest('opened', { repo: 'acme/legacy' }));
    expect(calls).toEqual([]);
  });

  it('keeps running the other plugins when one fails, and reports and logs the failure', async () => {
    calls.length = 0;
    harness = await startPluginHarness({
      plugins: 'plugins:\n  acme:\n    plugins: [hold, lgtm]\n',
      registry: [broken, recorder('lgtm')],
    });
    const outcome = await harness.deliver('issue_comment', issueComment({ commenter: 'alice', comment: '/hold' }));
    expect(outcome.handled).toEqual(['lgtm']);
    expect(outcome.failed).toEqual([{ plugin: 'hold', error: 'the hold plugin broke' }]);
    expect(calls).toEqual(['lgtm:comment:/hold']);
    expect(harness.log.entries).toContainEqual(
      expect.objectContaining({ severity: 'ERROR', plugin: 'hold', repo: 'acme/widgets', deliveryId: expect.any(String) }),
    );
  });

  it('refuses a payload missing a field plugins read, with a clear error, before any plugin runs', async () => {
    calls.length = 0;
    harness = await startPluginHarness({
      plugins: 'plugins:\n  acme:\n    plugins: [size, lgtm]\n',
      registry: [recorder('size'), recorder('lgtm')],
    });
    const payload = issueComment({ commenter: 'alice', comment: '/lgtm' });
    delete (payload['comment'] as Record<string, unknown>)['html_url'];
    const outcome = await harness.deliver('issue_comment', payload);
    expect(outcome).toEqual({ handled: [], failed: [], refused: expect.stringContaining('comment.html_url') as unknown });
    expect(calls).toEqual([]);
    expect(harness.log.entries).toContainEqual(
      expect.objectContaining({
        severity: 'WARNING',
        repo: 'acme/widgets',
        deliveryId: expect.stringMatching(/^delivery-\d+$/) as unknown,
        message: expect.stringMatching(/^delivery delivery-\d+ \(issue_comment\) refused, no plugin runs for it: missing comment\.html_url$/) as unknown,
      }),
    );
    // The log does not also claim the delivery was handled.
    expect(harness.log.entries.filter((entry) => String(entry.message).startsWith('delivery handled'))).toEqual([]);
  });

  it('names each missing field of a hand-made pull_request payload, in every lane', async () => {
    harness = await startPluginHarness({ plugins: 'plugins:\n  acme:\n    plugins: [trigger, wip, size]\n' });
    const payload = pullRequest('opened');
    delete (payload['pull_request'] as Record<string, unknown>)['html_url'];
    for (const lane of [LANES.jobs, LANES.plugins]) {
      const outcome = await harness.deliver('pull_request', payload, lane);
      expect(outcome).toEqual({ handled: [], failed: [], refused: 'missing pull_request.html_url' });
    }
    expect(await harness.jobs()).toEqual([]);
    expect(harness.log.entries.filter((entry) => entry.severity === 'WARNING').map((entry) => entry.message)).toEqual([
      expect.stringMatching(/refused, no plugin runs for it: missing pull_request\.html_url$/),
      expect.stringMatching(/refused, no plugin runs for it: missing pull_request\.html_url$/),
    ]);
  });

  it('hands a handler the issue its event concerns, with its operations bound, and nothing of the store', async () => {
    const seen: { number?: number; keys?: string[]; labels?: string[] } = {};
    const inspector = definePlugin('hold', { description: 'inspects its context' }).onComment(async (context) => {
      seen.number = context.issue.number;
      seen.keys = Object.keys(context).sort();
      await context.issue.addLabels(['inspected']);
      seen.labels = await context.issue.listIssueLabels();
    });
    harness = await startPluginHarness({ plugins: 'plugins:\n  acme:\n    plugins: [hold]\n', registry: [inspector] });
    harness.github.addPullRequest('acme/widgets', { number: 12, author: 'contributor' });
    const outcome = await harness.deliver('issue_comment', issueComment({ number: 12, commenter: 'alice', comment: 'hello' }));
    expect(outcome.failed).toEqual([]);
    expect(seen.number).toBe(12);
    expect(seen.labels).toEqual(['inspected']);
    expect(seen.keys).not.toContain('store');
    expect(seen.keys).toEqual(
      expect.arrayContaining(['comment', 'config', 'event', 'github', 'issue', 'jobs', 'log', 'org', 'plugins', 'repo', 'repository']),
    );
  });

  it('sends external plugins the original body and GitHub’s headers, signed with the webhook secret', async () => {
    const received: { request: IncomingMessage; body: string }[] = [];
    const external = createServer((request, response) => {
      void readBody(request).then((body) => {
        received.push({ request, body: body.toString() });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => external.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(external.address() as AddressInfo).port}/`;
    try {
      harness = await startPluginHarness({
        plugins: yaml(`
          external_plugins:
            acme/widgets:
            - name: cherrypicker
              endpoint: ${endpoint}
              events: [issue_comment]
        `),
        registry: [],
        hmacSecret: 'external-secret',
      });
      const payload = issueComment({ commenter: 'alice', comment: '/cherrypick release-1.0' });
      const outcome = await harness.deliver('issue_comment', payload);
      expect(outcome.handled).toEqual(['external:cherrypicker']);
      expect(received).toHaveLength(1);
      const [forwarded] = received;
      expect(forwarded?.body).toBe(JSON.stringify(payload));
      expect(forwarded?.request.headers['x-github-event']).toBe('issue_comment');
      expect(forwarded?.request.headers['x-github-delivery']).toMatch(/^delivery-/);
      const signature = String(forwarded?.request.headers['x-hub-signature-256']);
      expect(signatureMatches(['external-secret'], Buffer.from(forwarded?.body ?? ''), signature)).toBe(true);
      // Events the plugin did not ask for are not sent.
      await harness.deliver('pull_request', pullRequest('opened'));
      expect(received).toHaveLength(1);
    } finally {
      external.close();
    }
  });

  it('runs the trigger alone in the jobs lane, and every other plugin and the external plugins in the plugins lane', async () => {
    calls.length = 0;
    const received: string[] = [];
    const external = createServer((request, response) => {
      received.push(String(request.headers['x-github-event']));
      response.end('ok');
    });
    await new Promise<void>((resolve) => external.listen(0, '127.0.0.1', resolve));
    try {
      harness = await startPluginHarness({
        plugins: yaml(`
          plugins:
            acme:
              plugins: [trigger, size, lgtm]
          external_plugins:
            acme:
            - name: cherrypicker
              endpoint: http://127.0.0.1:${(external.address() as AddressInfo).port}/
        `),
        registry: [recorder('trigger'), recorder('size'), recorder('lgtm')],
      });
      const payload = pullRequest('opened', { repo: 'acme/widgets' });
      const jobsLane = await harness.deliver('pull_request', payload, LANES.jobs);
      expect(jobsLane.handled).toEqual(['trigger']);
      expect(calls.sort()).toEqual(['trigger:comment:', 'trigger:opened']);
      expect(received).toEqual([]);

      calls.length = 0;
      const pluginsLane = await harness.deliver('pull_request', payload, LANES.plugins);
      expect(pluginsLane.handled.sort()).toEqual(['external:cherrypicker', 'lgtm', 'size']);
      expect(calls.sort()).toEqual(['lgtm:comment:', 'lgtm:opened', 'size:comment:', 'size:opened']);
      expect(received).toEqual(['pull_request']);
    } finally {
      external.close();
    }
  });
});
