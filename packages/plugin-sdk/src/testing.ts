import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signedHeaders } from '../../../shared/webhook/signing.js';
import type { Plugin, ProwPluginHelp } from './plugin.js';
import { serve, type ServeOptions } from './serve.js';

/**
 * `@cutwater/plugin-sdk/testing`: drive a plugin as Cutwater would — signed deliveries over HTTP —
 * against a small fake GitHub that records what the plugin wrote. It models the calls the SDK's
 * issue handle makes (comments, labels) and Cutwater's job API; anything else answers 404 and is
 * listed in `unhandled`, so a test sees which call it lacks.
 */

export interface RecordedComment {
  org: string;
  repo: string;
  number: number;
  body: string;
}

export class FakeGitHub {
  readonly comments: RecordedComment[] = [];
  /** "org/repo#number" → its labels now. */
  readonly labels = new Map<string, Set<string>>();
  /** Installation tokens minted for an App, in order. */
  readonly installationTokens: string[] = [];
  /** ProwJobs created through the job API this fake also answers. */
  readonly prowJobs: unknown[] = [];
  /** Every request: "METHOD path" and the token it came with, in order. */
  readonly requests: { call: string; token: string }[] = [];
  /** "METHOD path" of requests the fake has no route for. */
  readonly unhandled: string[] = [];
  readonly jobApiToken = 'fake-job-api-token';
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      void this.route(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  labelsOf(org: string, repo: string, number: number): string[] {
    return [...(this.labels.get(`${org}/${repo}#${number}`) ?? [])].sort();
  }

  /** Labels an issue already has before the test's delivery. */
  setLabels(org: string, repo: string, number: number, labels: readonly string[]): void {
    this.labels.set(`${org}/${repo}#${number}`, new Set(labels));
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const path = decodeURI((request.url ?? '/').split('?')[0] ?? '/');
    this.requests.push({ call: `${request.method ?? 'GET'} ${path}`, token: (request.headers.authorization ?? '').replace(/^(token|bearer)\s+/i, '') });
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };
    const issue = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/(comments|labels)(?:\/(.+))?$/.exec(path);
    if (issue) {
      const [, org = '', repo = '', number = '', what, name] = issue;
      const key = `${org}/${repo}#${number}`;
      const labels = this.labels.get(key) ?? new Set<string>();
      this.labels.set(key, labels);
      const labelList = () => [...labels].sort().map((label) => ({ name: label }));
      if (what === 'comments' && request.method === 'POST') {
        this.comments.push({ org, repo, number: Number(number), body: String(body.body ?? '') });
        return send(201, { id: this.comments.length, body: body.body });
      }
      if (what === 'labels' && request.method === 'GET') return send(200, labelList());
      if (what === 'labels' && request.method === 'POST' && !name) {
        for (const label of Array.isArray(body.labels) ? body.labels : []) labels.add(String(label));
        return send(200, labelList());
      }
      if (what === 'labels' && request.method === 'DELETE' && name) {
        if (!labels.delete(name)) return send(404, { message: 'Label does not exist' });
        return send(200, labelList());
      }
    }
    if (request.method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
      const token = `ghs_fake${randomUUID().replaceAll('-', '')}`;
      this.installationTokens.push(token);
      return send(201, { token, expires_at: new Date(Date.now() + 3_600_000).toISOString() });
    }
    if (request.method === 'POST' && path === '/api/prowjobs') {
      if (request.headers.authorization !== `Bearer ${this.jobApiToken}`) return send(401, { message: 'bad token' });
      this.prowJobs.push(body);
      return send(201, body);
    }
    this.unhandled.push(`${request.method ?? 'GET'} ${path}`);
    send(404, { message: 'Not Found (the plugin SDK fake GitHub has no such route)' });
  }
}

/** A delivery as Cutwater forwards it: the body, and GitHub's headers signed with `secret`. */
export function signedDelivery(secret: string, event: string, payload: unknown, deliveryId: string = randomUUID()): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify(payload);
  return { headers: signedHeaders(secret, event, body, deliveryId), body };
}

export interface CommentPayloadOptions {
  org?: string;
  repo?: string;
  number?: number;
  body: string;
  author?: string;
  /** On a pull request rather than an issue. */
  pullRequest?: boolean;
  action?: 'created' | 'edited' | 'deleted';
  labels?: string[];
  installationId?: number;
}

/** An `issue_comment` payload with the fields plugins read. */
export function commentPayload(options: CommentPayloadOptions): Record<string, unknown> {
  const org = options.org ?? 'acme';
  const repo = options.repo ?? 'widgets';
  const number = options.number ?? 1;
  const author = options.author ?? 'alice';
  const issueUrl = `https://github.com/${org}/${repo}/${options.pullRequest ? 'pull' : 'issues'}/${number}`;
  return {
    action: options.action ?? 'created',
    issue: {
      number,
      title: 'An issue',
      body: '',
      state: 'open',
      html_url: issueUrl,
      user: { login: 'issue-author' },
      labels: (options.labels ?? []).map((name) => ({ name })),
      assignees: [],
      ...(options.pullRequest ? { pull_request: { url: `https://api.github.com/repos/${org}/${repo}/pulls/${number}` } } : {}),
    },
    comment: { id: 1, body: options.body, user: { login: author }, html_url: `${issueUrl}#issuecomment-1` },
    repository: { name: repo, full_name: `${org}/${repo}`, owner: { login: org } },
    sender: { login: author },
    installation: { id: options.installationId ?? 1 },
  };
}

export interface PluginUnderTest {
  github: FakeGitHub;
  /** Every log line the plugin wrote, parsed. */
  logs: Record<string, unknown>[];
  /** Sends a signed delivery to the plugin's server; its answer. */
  deliver(event: string, payload: unknown): Promise<{ status: number; body: unknown }>;
  /** What Cutwater would read from `<endpoint>/help`. */
  help(): Promise<ProwPluginHelp>;
  /** The plugin's address, to send requests of your own. */
  url: string;
  secret: string;
  close(): Promise<void>;
}

/**
 * Serves `plugin` on a local port with a fresh fake GitHub (as its API and Cutwater's job API);
 * `options` may add its config section (`config`) or anything else `serve` takes.
 */
export async function testPlugin<C>(plugin: Plugin<C>, options: ServeOptions = {}): Promise<PluginUnderTest> {
  const github = await new FakeGitHub().start();
  const secret = 'plugin-test-secret';
  const logs: Record<string, unknown>[] = [];
  const handler = serve(plugin, {
    secrets: [secret],
    github: { token: 'ghp_fake', apiUrl: github.url },
    jobApi: { url: github.url, token: github.jobApiToken },
    logSink: (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
    env: {},
    ...options,
  });
  const server = createServer((request, response) => void handler(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    github,
    logs,
    url,
    secret,
    async deliver(event, payload) {
      const { headers, body } = signedDelivery(secret, event, payload);
      const response = await fetch(url, { method: 'POST', headers, body });
      return { status: response.status, body: (await response.json()) as unknown };
    },
    async help() {
      const response = await fetch(`${url}/help`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
      if (!response.ok) throw new Error(`/help answered ${response.status}`);
      return (await response.json()) as ProwPluginHelp;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await github.close();
    },
  };
}
