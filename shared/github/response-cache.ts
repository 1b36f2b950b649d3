import type { Octokit } from '@octokit/core';
import { LRUCache } from 'lru-cache';
import { answerOfError, type ResponseHeaders } from './budget';
import { requestIdentities } from './identity';

/**
 * Conditional reads, as Prow's ghproxy does them: a GET's 200 answer is kept with its ETag and
 * Last-Modified, the next identical GET asks `If-None-Match` / `If-Modified-Since`, and GitHub's
 * 304 Not Modified, which costs no primary rate limit, is answered from the kept body.
 *
 * Always revalidated, never served unasked (whatever max-age says): GitHub changes a resource's
 * ETag when it changes, so an answer from here is as fresh as a full one. Entries are keyed by the
 * identity, the full URL with its query, and the headers that choose the representation, so a body
 * is never served to another installation (permissions differ), another page, or another media
 * type. The memory is bounded by bytes, least recently used first out.
 */

/** What the cache keeps of a 200 answer. The body as JSON text: each hit parses its own copy. */
interface CachedAnswer {
  url: string;
  headers: ResponseHeaders;
  body: string;
  etag?: string;
  lastModified?: string;
}

export interface ResponseCacheOptions {
  /** Upper bound on the bodies kept, in bytes (UTF-16 code units, near enough). Default 32 MiB; 0 turns the cache off. */
  maxBytes?: number;
}

export const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;
/** Per entry, for its key and headers, so that many tiny answers are bounded too. */
const ENTRY_OVERHEAD = 512;
/** Headers of a 304 that are fresher than the kept ones; the rest (Link above all) are the kept answer's. */
const REFRESHED_HEADERS = /^(x-ratelimit-|date$|x-github-request-id$)/;
/** Request headers that choose what GitHub answers, besides the URL. */
const REPRESENTATION_HEADERS = ['accept', 'x-github-api-version'] as const;

export class ResponseCache {
  private readonly entries: LRUCache<string, CachedAnswer> | undefined;

  constructor(options: ResponseCacheOptions = {}) {
    const maxBytes = options.maxBytes ?? DEFAULT_CACHE_BYTES;
    this.entries =
      maxBytes > 0
        ? new LRUCache<string, CachedAnswer>({
            maxSize: maxBytes,
            // An answer larger than the whole cache is not kept rather than emptying the cache for it.
            maxEntrySize: maxBytes,
            sizeCalculation: (entry, key) => entry.body.length + key.length + ENTRY_OVERHEAD,
          })
        : undefined;
  }

  /** How many answers are kept, and their size as counted against maxBytes. */
  get stats(): { entries: number; bytes: number } {
    return { entries: this.entries?.size ?? 0, bytes: this.entries?.calculatedSize ?? 0 };
  }

  key(identity: string, url: string, headers: Record<string, unknown>): string {
    const chosen = REPRESENTATION_HEADERS.map((name) => String(headers[name] ?? ''));
    return JSON.stringify([identity, url, ...chosen]);
  }

  lookUp(key: string): CachedAnswer | undefined {
    return this.entries?.get(key);
  }

  /** Keeps a 200 that GitHub can revalidate and allows to be stored; forgets the key otherwise. */
  remember(key: string, status: number, url: string, headers: ResponseHeaders, data: unknown): void {
    if (!this.entries) return;
    const etag = header(headers, 'etag');
    const lastModified = header(headers, 'last-modified');
    const cacheControl = header(headers, 'cache-control') ?? '';
    const json = /json/i.test(header(headers, 'content-type') ?? '');
    if (status !== 200 || (!etag && !lastModified) || /\bno-store\b/i.test(cacheControl) || !json) {
      this.entries.delete(key);
      return;
    }
    const entry: CachedAnswer = { url, headers: { ...headers }, body: JSON.stringify(data) };
    if (etag) entry.etag = etag;
    if (lastModified) entry.lastModified = lastModified;
    this.entries.set(key, entry);
  }
}

function header(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return value === undefined ? undefined : String(value);
}

/** The validators to send for a kept answer. */
function validators(entry: CachedAnswer): Record<string, string> {
  const headers: Record<string, string> = {};
  if (entry.etag) headers['if-none-match'] = entry.etag;
  if (entry.lastModified) headers['if-modified-since'] = entry.lastModified;
  return headers;
}

/** The kept answer as a fresh 200, with the 304's rate-limit headers, which are newer. */
function revive(entry: CachedAnswer, fresh: ResponseHeaders) {
  const headers: ResponseHeaders = { ...entry.headers };
  for (const [name, value] of Object.entries(fresh)) {
    if (REFRESHED_HEADERS.test(name)) headers[name] = value;
  }
  return { status: 200, url: entry.url, headers, data: JSON.parse(entry.body) as unknown };
}

/**
 * An Octokit plugin that makes GETs conditional. Octokit answers a 304 by throwing; here the kept
 * answer is returned instead. It sits inside the retry and throttling plugins, so each retried
 * attempt and each page of a list (the paginate plugin asks page by page) is its own conditional
 * request, with its own entry.
 *
 * Octokit's hooks all receive one options object per request (a wrapper cannot hand the inner ones
 * a different one), so the validators are written into its headers, and remembered as ours so a
 * retried attempt replaces them rather than mistaking them for the caller's.
 */
export function conditionalReads(cache: ResponseCache) {
  const ours = new WeakSet<object>();
  return (octokit: Octokit, options: { auth?: unknown }) => {
    const identityOf = requestIdentities(options.auth);
    octokit.hook.wrap('request', async (request, requestOptions) => {
      const headers = requestOptions.headers as Record<string, unknown>;
      if (ours.has(requestOptions)) {
        delete headers['if-none-match'];
        delete headers['if-modified-since'];
      } else if ('if-none-match' in headers || 'if-modified-since' in headers) {
        // A caller that sends its own validators handles the 304 itself.
        return request(requestOptions);
      }
      if (requestOptions.method !== 'GET') return request(requestOptions);
      const endpoint = octokit.request.endpoint.parse(requestOptions);
      const key = cache.key(identityOf(requestOptions.url).key, endpoint.url, endpoint.headers);
      // Held here: the entry may be evicted by other requests while this one is out.
      const kept = cache.lookUp(key);
      if (kept) {
        Object.assign(headers, validators(kept));
        ours.add(requestOptions);
      }
      try {
        const response = await request(requestOptions);
        cache.remember(key, response.status, response.url, response.headers as ResponseHeaders, response.data);
        return response;
      } catch (error) {
        const answer = answerOfError(error);
        if (kept && answer?.status === 304) return revive(kept, answer.headers);
        throw error;
      }
    });
  };
}
