import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Serves a listener that answers whether it served a request (the status pages' shape) on a free
 * port: what it leaves is a 404 "not served", what it throws a 500 with the error.
 */
export async function serveListener(
  listener: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>,
): Promise<{ server: Server; base: string }> {
  const server = createServer((request, response) => {
    listener(request, response)
      .then((served) => {
        if (!served) response.writeHead(404).end('not served');
      })
      .catch((error: unknown) => response.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
