import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter, READ, type Route } from '../../../shared/status/router';

/**
 * The status pages' route table, over real HTTP: a listed URL reaches its handler with its
 * parameters decoded; an unknown path or a method the path does not take is left to the host
 * (which answers 404, as local mode and the function do); a path that says so answers 405.
 */

let server: Server;
let base: string;

const routes: Route[] = [
  { method: READ, path: '/', handle: ({ response }) => void response.end('home') },
  { method: READ, path: '/view/:name', handle: ({ response }, params) => void response.end(`job ${params.name}`) },
  { method: READ, path: '/view/:name/artifacts/*', handle: ({ response }, params) => void response.end(`${params.name}: ${params['*']}`) },
  {
    method: 'POST',
    path: '/logout',
    handle: ({ response }) => void response.end('signed out'),
    otherMethods: ({ response }, allowed) => void response.writeHead(405, { allow: allowed.join(', ') }).end('use POST'),
  },
];

beforeAll(async () => {
  const route = createRouter(routes);
  server = createServer((request, response) => {
    void route({ request, response, url: new URL(request.url ?? '/', 'http://localhost') }).then((served) => {
      if (!served) response.writeHead(404).end('not served');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function call(path: string, method = 'GET'): Promise<{ status: number; text: string; allow: string | null }> {
  const response = await fetch(`${base}${path}`, { method });
  return { status: response.status, text: await response.text(), allow: response.headers.get('allow') };
}

describe('the route table', () => {
  it('answers the URLs it lists, GET and HEAD alike, with path parameters decoded', async () => {
    expect(await call('/')).toMatchObject({ status: 200, text: 'home' });
    expect(await call('/', 'HEAD')).toMatchObject({ status: 200 });
    expect(await call('/view/a%20b')).toMatchObject({ status: 200, text: 'job a b' });
    expect(await call('/view/j/artifacts/dir/a%20b.txt')).toMatchObject({ status: 200, text: 'j: dir/a b.txt' });
  });

  it('leaves unknown paths to the host: 404', async () => {
    expect(await call('/nothing')).toMatchObject({ status: 404, text: 'not served' });
    expect(await call('/view/a/b')).toMatchObject({ status: 404, text: 'not served' });
    // A trailing slash is another path, and an empty name is no job's page.
    expect((await call('/view/x/')).status).toBe(404);
    expect((await call('/view/')).status).toBe(404);
    expect((await call('/view/x/artifacts/')).status).toBe(404);
  });

  it('answers 400 for a path whose percent-encoding does not decode, whichever route it would reach', async () => {
    for (const path of ['/view/%E0%A4%A', '/view/j/artifacts/a%zz', '/nothing/%', '/%C0%AF']) {
      const answer = await call(path);
      expect({ path, status: answer.status }).toEqual({ path, status: 400 });
      expect(answer.text).toMatch(/malformed percent-encoding/);
    }
  });

  it('leaves a method a page does not take to the host: 404, as before the table', async () => {
    expect(await call('/', 'POST')).toMatchObject({ status: 404, text: 'not served' });
    expect(await call('/view/x', 'DELETE')).toMatchObject({ status: 404, text: 'not served' });
  });

  it('answers 405 with Allow where a route asks for it', async () => {
    expect(await call('/logout', 'POST')).toMatchObject({ status: 200, text: 'signed out' });
    expect(await call('/logout')).toMatchObject({ status: 405, text: 'use POST', allow: 'POST' });
    expect(await call('/logout', 'PUT')).toMatchObject({ status: 405, allow: 'POST' });
  });
});
