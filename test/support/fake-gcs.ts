import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CRC32C } from '@google-cloud/storage';
import { z } from 'zod';

/**
 * A stand-in for the parts of Google Cloud Storage's JSON API that @google-cloud/storage v7 uses
 * to save, download and list objects, on a loopback port, so tests run the real client over real
 * HTTP. Point the client at it with `new Storage({ apiEndpoint: fake.url })`: a non-default
 * endpoint turns the client's authentication off (`useAuthWithCustomEndpoint` defaults to false),
 * so no credentials or project are needed.
 *
 * It keeps GCS's behaviour where the client depends on it: object metadata carries `crc32c` and
 * `md5Hash` (the client deletes an upload whose returned hash does not match), downloads carry
 * `x-goog-hash` and honour `Range` (206, or 416 past the end), lists are sorted by name and paged
 * with `nextPageToken`. Routes it does not implement answer 501, so a client change is loud.
 */

export interface FakeGcsRequest {
  method: string;
  /** As sent, percent-encoding included, without the query string. */
  path: string;
  query: Record<string, string>;
  range: string | undefined;
  /** The status answered (0 until the answer is sent). */
  status: number;
}

export interface FakeGcsObject {
  bucket: string;
  name: string;
  content: Buffer;
  contentType: string;
  generation: number;
  updated: Date;
}

export interface FakeGcsOptions {
  /** Most objects in one page of a list; lower it to make clients page. Default 1000, as GCS. */
  pageSize?: number;
}

export interface FakeGcs {
  /** The value for the client's `apiEndpoint`, e.g. http://127.0.0.1:PORT. */
  url: string;
  requests: FakeGcsRequest[];
  /** The objects in a bucket, sorted by name. */
  objects(bucket: string): FakeGcsObject[];
  close(): Promise<void>;
}

const DEFAULT_PAGE_SIZE = 1000;

/** The object metadata a multipart upload's first part may carry; only the fields the fake keeps. */
const UploadMetadataSchema = z.looseObject({
  name: z.string().optional(),
  contentType: z.string().optional(),
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

export async function startFakeGcs(options: FakeGcsOptions = {}): Promise<FakeGcs> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const buckets = new Map<string, Map<string, FakeGcsObject>>();
  const requests: FakeGcsRequest[] = [];
  let generations = 0;

  const bucketObjects = (bucket: string): Map<string, FakeGcsObject> => {
    let objects = buckets.get(bucket);
    if (!objects) {
      objects = new Map();
      buckets.set(bucket, objects);
    }
    return objects;
  };
  const sortedObjects = (bucket: string): FakeGcsObject[] =>
    [...bucketObjects(bucket).values()].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake-gcs');
    const recorded: FakeGcsRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      range: request.headers.range,
      status: 0,
    };
    requests.push(recorded);
    readBody(request)
      .then((body) => {
        const answer = route(recorded, url, request, body);
        recorded.status = answer.status;
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body);
      })
      .catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500;
        const reason = error instanceof HttpError ? error.reason : 'backendError';
        const message = error instanceof Error ? error.message : String(error);
        recorded.status = status;
        sendError(response, status, message, reason);
      });
  });

  interface Answer {
    status: number;
    headers: Record<string, string>;
    body: Buffer | string;
  }

  const json = (value: unknown): Answer => ({
    status: 200,
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    body: JSON.stringify(value),
  });

  function route(recorded: FakeGcsRequest, url: URL, request: IncomingMessage, body: Buffer): Answer {
    const segments = url.pathname.split('/').slice(1);
    const query = url.searchParams;
    // Object names arrive percent-encoded in one segment ("logs%2Fjob%2F1"), so split before decoding.
    if (recorded.method === 'POST' && segments.length === 6 && matches(segments, ['upload', 'storage', 'v1', 'b', undefined, 'o'])) {
      return json(upload(decode(segments[4]), query, request, body));
    }
    if (recorded.method === 'GET' && segments.length === 5 && matches(segments, ['storage', 'v1', 'b', undefined, 'o'])) {
      return json(list(decode(segments[3]), query));
    }
    if (recorded.method === 'GET' && segments.length === 6 && matches(segments, ['storage', 'v1', 'b', undefined, 'o'])) {
      const object = find(decode(segments[3]), decode(segments[5]));
      if (query.get('alt') === 'media') return media(object, recorded.range);
      return json(resource(object));
    }
    throw new HttpError(501, `the fake GCS does not implement ${recorded.method} ${url.pathname}`, 'notImplemented');
  }

  function upload(bucket: string, query: URLSearchParams, request: IncomingMessage, body: Buffer): Record<string, unknown> {
    const uploadType = query.get('uploadType');
    let name = query.get('name') ?? undefined;
    let contentType: string | undefined;
    let content: Buffer;
    if (uploadType === 'media') {
      contentType = request.headers['content-type'];
      content = body;
    } else if (uploadType === 'multipart') {
      const [metadataPart, mediaPart] = multipartParts(request.headers['content-type'], body);
      if (!metadataPart || !mediaPart) throw new HttpError(400, 'a multipart upload needs a metadata part and a media part', 'invalid');
      const metadata = UploadMetadataSchema.parse(JSON.parse(metadataPart.body.toString('utf8')));
      name = metadata.name ?? name;
      contentType = metadata.contentType ?? mediaPart.headers['content-type'];
      content = mediaPart.body;
    } else {
      throw new HttpError(501, `the fake GCS does not implement uploadType=${uploadType ?? ''}`, 'notImplemented');
    }
    if (!name) throw new HttpError(400, 'Required parameter: name', 'required');
    const object: FakeGcsObject = {
      bucket,
      name,
      content,
      contentType: contentType ?? 'application/octet-stream',
      generation: ++generations,
      updated: new Date(),
    };
    bucketObjects(bucket).set(name, object);
    return resource(object);
  }

  function list(bucket: string, query: URLSearchParams): Record<string, unknown> {
    const prefix = query.get('prefix') ?? '';
    const limit = Math.min(pageSize, Number(query.get('maxResults') ?? pageSize) || pageSize);
    // The page token is the last name of the previous page: stable while objects are added.
    const after = query.get('pageToken');
    const matching = sortedObjects(bucket).filter(
      (object) => object.name.startsWith(prefix) && (after === null || Buffer.compare(Buffer.from(object.name), Buffer.from(after, 'base64url')) > 0),
    );
    const page = matching.slice(0, limit);
    const last = page.at(-1);
    return {
      kind: 'storage#objects',
      ...(page.length > 0 ? { items: page.map(resource) } : {}),
      ...(matching.length > limit && last ? { nextPageToken: Buffer.from(last.name).toString('base64url') } : {}),
    };
  }

  function find(bucket: string, name: string): FakeGcsObject {
    const object = buckets.get(bucket)?.get(name);
    if (!object) throw new HttpError(404, `No such object: ${bucket}/${name}`, 'notFound');
    return object;
  }

  function media(object: FakeGcsObject, rangeHeader: string | undefined): Answer {
    const size = object.content.length;
    const headers: Record<string, string> = {
      'content-type': object.contentType,
      'x-goog-generation': String(object.generation),
      'x-goog-hash': `crc32c=${crc32cOf(object.content)},md5=${md5Of(object.content)}`,
      'x-goog-stored-content-encoding': 'identity',
      'x-goog-stored-content-length': String(size),
      'accept-ranges': 'bytes',
    };
    const range = parseRange(rangeHeader, size);
    if (range === 'unsatisfiable') {
      throw new HttpError(416, 'The requested range cannot be satisfied.', 'requestedRangeNotSatisfiable');
    }
    if (!range) return { status: 200, headers: { ...headers, 'content-length': String(size) }, body: object.content };
    const part = object.content.subarray(range.start, range.end + 1);
    return {
      status: 206,
      headers: { ...headers, 'content-length': String(part.length), 'content-range': `bytes ${range.start}-${range.end}/${size}` },
      body: part,
    };
  }

  function resource(object: FakeGcsObject): Record<string, unknown> {
    const id = `${object.bucket}/${object.name}/${object.generation}`;
    return {
      kind: 'storage#object',
      id,
      selfLink: `${baseUrl}/storage/v1/b/${encodeURIComponent(object.bucket)}/o/${encodeURIComponent(object.name)}`,
      name: object.name,
      bucket: object.bucket,
      generation: String(object.generation),
      metageneration: '1',
      contentType: object.contentType,
      storageClass: 'STANDARD',
      size: String(object.content.length),
      md5Hash: md5Of(object.content),
      crc32c: crc32cOf(object.content),
      etag: Buffer.from(id).toString('base64'),
      timeCreated: object.updated.toISOString(),
      updated: object.updated.toISOString(),
    };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    requests,
    objects: sortedObjects,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function matches(segments: string[], pattern: (string | undefined)[]): boolean {
  return pattern.every((expected, index) => expected === undefined || segments[index] === expected);
}

function decode(segment: string | undefined): string {
  try {
    return decodeURIComponent(segment ?? '');
  } catch {
    throw new HttpError(400, `invalid percent-encoding in ${JSON.stringify(segment)}`, 'invalid');
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function sendError(response: ServerResponse, status: number, message: string, reason: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  response.end(JSON.stringify({ error: { code: status, message, errors: [{ message, domain: 'global', reason }] } }));
}

interface MultipartPart {
  headers: Record<string, string>;
  body: Buffer;
}

/** The parts of a multipart/related body, kept as bytes so binary media survives. */
function multipartParts(contentType: string | undefined, body: Buffer): MultipartPart[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
  if (!boundary) throw new HttpError(400, 'a multipart upload needs a boundary', 'invalid');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let position = body.indexOf(delimiter);
  while (position >= 0) {
    const start = position + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) throw new HttpError(400, 'a multipart body must end with its closing delimiter', 'invalid');
    // A part is CRLF, headers, CRLF CRLF, the body, then the CRLF that belongs to the next delimiter.
    const part = body.subarray(start + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw new HttpError(400, 'a multipart part needs headers', 'invalid');
    const headers: Record<string, string> = {};
    for (const line of part.subarray(0, headerEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: part.subarray(headerEnd + 4) });
    position = next;
  }
  return parts;
}

/** An HTTP Range header against an object of `size` bytes: undefined for "the whole object". */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    // A suffix range: the last N bytes.
    const length = Number(match[2]);
    if (length === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  // As HTTP says, a last position before the first makes the header invalid, so it is ignored.
  if (match[2] !== '' && Number(match[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

function md5Of(content: Buffer): string {
  return createHash('md5').update(content).digest('base64');
}

function crc32cOf(content: Buffer): string {
  const checksum = new CRC32C();
  checksum.update(content);
  return checksum.toString();
}
