import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SUBSCRIPTION_POLICY, TOPICS, type ReceivedMessage } from '../../../shared/bus/bus';
import { InProcessBus } from '../../../shared/bus/in-process';
import { memoryLogger } from '../../../shared/log/logger';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { webhookListener } from '../../../shared/webhook/http';
import { issueComment, push } from '../../support/payloads';
import { githubSignature, signedHeaders } from '../../support/signing';

/** POST /hook over real HTTP: verification, dedupe, hand-off to github-events, and every refusal. */
describe('webhook ingestion', () => {
  const SECRET = 'current-secret-value-7f3a';
  const OLD_SECRET = 'previous-secret-value-19bc';
  let server: Server;
  let url: string;
  let bus: InProcessBus;
  let store: EmbeddedStore;
  let log: ReturnType<typeof memoryLogger>;
  let published: ReceivedMessage[];
  let failPublishing = false;

  beforeEach(async () => {
    bus = new InProcessBus();
    await bus.declare([TOPICS.githubEvents], [{ name: 'events', topic: TOPICS.githubEvents, ...DEFAULT_SUBSCRIPTION_POLICY }]);
    published = [];
    await bus.subscribe('events', async (message) => void published.push(message));
    store = EmbeddedStore.open();
    log = memoryLogger();
    failPublishing = false;
    const flakyBus = {
      publish: (topic: string, message: Parameters<InProcessBus['publish']>[1]) =>
        failPublishing ? Promise.reject(new Error('Pub/Sub unavailable')) : bus.publish(topic, message),
    };
    const listener = webhookListener({ secrets: [SECRET, OLD_SECRET], deliveries: store.deliveries, bus: flakyBus, log });
    server = createServer((request, response) => void listener(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    await bus.close();
    await store.close();
  });

  const body = JSON.stringify(issueComment({ commenter: 'alice', comment: '/lgtm' }));
  const post = (headers: Record<string, string>, payload = body) => fetch(url, { method: 'POST', headers, body: payload });
  const waitForPublished = async (count: number) => {
    for (let i = 0; i < 200 && published.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  it('accepts a signed delivery and hands the exact bytes to github-events', async () => {
    const response = await post(signedHeaders(SECRET, 'issue_comment', body, 'delivery-1'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'accepted', delivery: 'delivery-1' });
    await waitForPublished(1);
    expect(published).toHaveLength(1);
    expect(published[0]?.data.toString()).toBe(body);
    expect(published[0]?.attributes).toEqual({
      'x-github-event': 'issue_comment',
      'x-github-delivery': 'delivery-1',
      installation: '4242',
    });
    // So the events subscription hands this PR's deliveries over one at a time, in this order.
    expect(published[0]?.orderingKey).toBe('acme/widgets#1');
  });

  it('publishes a delivery about no single pull request without an ordering key', async () => {
    const pushBody = JSON.stringify(push());
    expect((await post(signedHeaders(SECRET, 'push', pushBody, 'delivery-push'), pushBody)).status).toBe(200);
    await waitForPublished(1);
    expect(published).toHaveLength(1);
    expect(published[0]?.orderingKey).toBeUndefined();
  });

  it('accepts the previous secret during a rotation', async () => {
    expect((await post(signedHeaders(OLD_SECRET, 'issue_comment', body))).status).toBe(200);
  });

  it('acknowledges a redelivery without passing it on a second time', async () => {
    const headers = signedHeaders(SECRET, 'issue_comment', body, 'delivery-2');
    expect((await post(headers)).status).toBe(200);
    const again = await post(headers);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { message: string }).message).toMatch(/duplicate/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(published).toHaveLength(1);
  });

  it('refuses a missing or wrong signature with 401 and passes nothing on', async () => {
    const unsigned = signedHeaders(SECRET, 'issue_comment', body);
    delete unsigned['x-hub-signature-256'];
    expect((await post(unsigned)).status).toBe(401);
    expect((await post(signedHeaders('not-the-secret', 'issue_comment', body))).status).toBe(401);
    const tampered = signedHeaders(SECRET, 'issue_comment', body);
    expect((await post(tampered, body.replace('/lgtm', '/approve'))).status).toBe(401);
    expect((await post({ ...tampered, 'x-hub-signature-256': 'sha1=abc' })).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(published).toHaveLength(0);
    expect(JSON.stringify(log.entries)).not.toContain(SECRET);
  });

  it('refuses missing event or delivery headers and malformed bodies with 400', async () => {
    const noEvent = signedHeaders(SECRET, 'issue_comment', body);
    delete noEvent['x-github-event'];
    expect((await post(noEvent)).status).toBe(400);
    const noDelivery = signedHeaders(SECRET, 'issue_comment', body);
    delete noDelivery['x-github-delivery'];
    expect((await post(noDelivery)).status).toBe(400);
    const broken = '{"action": "created", ';
    const response = await post(signedHeaders(SECRET, 'issue_comment', broken), broken);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/not valid JSON/);
    expect((await fetch(url)).status).toBe(405);
    expect(published).toHaveLength(0);
  });

  it('refuses an empty body with a valid signature with 400, saying what a delivery is', async () => {
    const response = await post(signedHeaders(SECRET, 'issue_comment', ''), '');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/body is empty/);
    // Every JSON answer tells browsers not to sniff it into something else.
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    // An empty body under a wrong signature is still a forgery.
    expect((await post(signedHeaders('not-the-secret', 'issue_comment', ''), '')).status).toBe(401);
    expect(published).toHaveLength(0);
  });

  it('checks the signature over the bytes GitHub sent, not over their text', async () => {
    // Not valid UTF-8: decoding it to text first would change what is checked.
    const bytes = Buffer.concat([Buffer.from('{"zen":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const response = await fetch(url, { method: 'POST', headers: signedHeaders(SECRET, 'ping', bytes), body: bytes });
    expect(response.status).toBe(200);
    const forged = await fetch(url, { method: 'POST', headers: signedHeaders(SECRET, 'ping', bytes.toString('utf8')), body: bytes });
    expect(forged.status).toBe(401);
  });

  it('answers ping', async () => {
    const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const response = await post(signedHeaders(SECRET, 'ping', ping), ping);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { message: string }).message).toBe('pong');
  });

  it('answers 503 when the delivery cannot be passed on, so that GitHub’s redelivery is processed', async () => {
    failPublishing = true;
    const headers = signedHeaders(SECRET, 'issue_comment', body, 'delivery-3');
    expect((await post(headers)).status).toBe(503);
    failPublishing = false;
    expect((await post(headers)).status).toBe(200);
    await waitForPublished(1);
    expect(published).toHaveLength(1);
  });

  it('signs as GitHub does', () => {
    // The example from GitHub's documentation on validating webhook deliveries.
    expect(githubSignature("It's a Secret to Everybody", 'Hello, World!')).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });
});
