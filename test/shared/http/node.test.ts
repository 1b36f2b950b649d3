import { request as httpRequest, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BodyTooLargeError, readBody } from '../../../shared/http/node';

/** readBody over real HTTP: what a handler gets for each way a client may send a body. */
describe('readBody', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  /** Serves one request with readBody(limit); resolves with what it read, or the error it threw. */
  async function readOne(limit: number, send: (url: URL) => Promise<void>): Promise<Buffer | Error> {
    let settle: (value: Buffer | Error) => void = () => {};
    const read = new Promise<Buffer | Error>((resolve) => (settle = resolve));
    server = createServer((request, response) => {
      readBody(request, limit).then(
        (body) => {
          settle(body);
          response.end('ok');
        },
        (error: Error) => {
          settle(error);
          response.writeHead(413, { connection: 'close' }).end();
        },
      );
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    await send(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`));
    return read;
  }

  /** Sends the chunks as they are, with or without a Content-Length (chunked encoding without). */
  function post(chunks: Buffer[], contentLength: boolean): (url: URL) => Promise<void> {
    return (url) =>
      new Promise((resolve) => {
        const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
        const request = httpRequest(url, { method: 'POST', headers: contentLength ? { 'content-length': total } : {} }, (response) => {
          response.resume();
          response.on('end', resolve);
        });
        // A refused upload may see its connection closed under it; the answer is what counts.
        request.on('error', () => resolve());
        const write = (index: number) => {
          const chunk = chunks[index];
          if (!chunk) return void request.end();
          request.write(chunk, () => setTimeout(() => write(index + 1), 5));
        };
        write(0);
      });
  }

  const bytes = (text: string) => Buffer.from(text);

  it('gives back the body byte for byte, whether it came with a Content-Length or chunked, in one piece or several', async () => {
    const binary = Buffer.from([0, 255, 10, 13, 64]);
    expect(await readOne(1024, post([bytes('{"a":1}')], true))).toEqual(bytes('{"a":1}'));
    expect(await readOne(1024, post([bytes('{"a":'), binary, bytes('1}')], true))).toEqual(Buffer.concat([bytes('{"a":'), binary, bytes('1}')]));
    expect(await readOne(1024, post([bytes('one '), bytes('two')], false))).toEqual(bytes('one two'));
    expect(await readOne(1024, post([], true))).toEqual(Buffer.alloc(0));
  });

  it('refuses a body over the limit, whether its Content-Length says so or its chunks add up to it', async () => {
    expect(await readOne(8, post([bytes('0123456789')], true))).toBeInstanceOf(BodyTooLargeError);
    expect(await readOne(8, post([bytes('01234'), bytes('56789')], false))).toBeInstanceOf(BodyTooLargeError);
    expect(await readOne(10, post([bytes('01234'), bytes('56789')], false))).toEqual(bytes('0123456789'));
  });
});
