import { z } from 'zod';
import type { Logger } from '../log/logger';

/**
 * External plugins' help for /plugins and /command-help, as Prow's hook gathers it: `POST
 * <endpoint>/help` with the repositories the plugin is enabled for, answered with Prow's PluginHelp
 * JSON. A reader is waiting for the page, so each plugin gets a short deadline, all are asked at
 * once, and answers (and failures, for less time) are remembered, so that one slow plugin does not
 * slow every page view. What a plugin says is untrusted: it is checked here and escaped when
 * rendered, so a plugin cannot put markup on Cutwater's pages.
 */

/** Prow's PluginHelp; Go writes empty slices and maps as null. */
const ExternalCommandSchema = z.object({
  Usage: z.string().max(1_000),
  Featured: z.boolean().nullish(),
  Description: z.string().max(10_000),
  Examples: z.array(z.string().max(1_000)).max(100).nullish(),
  WhoCanUse: z.string().max(1_000).nullish(),
});

export const ExternalPluginHelpSchema = z.object({
  Description: z.string().max(20_000),
  Config: z.record(z.string(), z.string().max(20_000)).nullish(),
  Snippet: z.string().max(20_000).nullish(),
  Events: z.array(z.string()).nullish(),
  Commands: z.array(ExternalCommandSchema).max(200).nullish(),
});
export type ExternalPluginHelp = z.infer<typeof ExternalPluginHelpSchema>;

/** Prow's config.OrgRepo, as hook sends it: `Repo` is "" for a whole org. */
export interface EnabledRepo {
  Org: string;
  Repo: string;
}

export type ExternalHelpResult = { ok: true; help: ExternalPluginHelp } | { ok: false };

export interface ExternalHelpOptions {
  fetch?: typeof fetch;
  /** Per plugin; Prow's hook waits one second for all of them. */
  timeoutMs?: number;
  /** How long an answer is reused. */
  ttlMs?: number;
  /** How long a failure is reused: short, so a plugin that comes back shows its help soon. */
  failureTtlMs?: number;
  now?: () => number;
  log?: Logger;
}

export type ExternalHelpSource = (endpoint: string, repos: readonly EnabledRepo[]) => Promise<ExternalHelpResult>;

/** More than any honest help needs; a larger answer is refused without being read to the end. */
const MAX_HELP_BYTES = 512 * 1024;
/** Endpoints × repository sets: bounded, so a config that churns cannot grow the cache forever. */
const MAX_ENTRIES = 500;

export function externalHelpSource(options: ExternalHelpOptions = {}): ExternalHelpSource {
  const fetcher = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const failureTtlMs = options.failureTtlMs ?? 30_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { expires: number; result: Promise<ExternalHelpResult> }>();

  const ask = async (endpoint: string, repos: readonly EnabledRepo[]): Promise<ExternalHelpResult> => {
    try {
      const url = helpUrl(endpoint);
      const response = await fetcher(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(repos),
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`answered ${response.status}`);
      const parsed = ExternalPluginHelpSchema.safeParse(JSON.parse(await limitedText(response)));
      if (!parsed.success) throw new Error(`not Prow's PluginHelp: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      return { ok: true, help: parsed.data };
    } catch (error) {
      // The host only: an endpoint may carry a token in its path or query.
      options.log?.warn('external plugin help unavailable', { host: hostOf(endpoint), reason: error instanceof Error ? error.message : String(error) });
      return { ok: false };
    }
  };

  return (endpoint, repos) => {
    const key = `${endpoint}\n${JSON.stringify(repos)}`;
    const at = now();
    const cached = cache.get(key);
    if (cached && cached.expires > at) return cached.result;
    // Concurrent page views share one request; the entry's lifetime is fixed once it settles.
    const entry = { expires: at + timeoutMs + ttlMs, result: ask(endpoint, repos) };
    cache.delete(key);
    cache.set(key, entry);
    void entry.result.then((result) => {
      entry.expires = now() + (result.ok ? ttlMs : failureTtlMs);
    });
    while (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    return entry.result;
  };
}

/** `<endpoint>/help`, with the endpoint's query kept, as Prow joins the path. */
function helpUrl(endpoint: string): URL {
  const url = new URL(endpoint);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('the endpoint is not http(s)');
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/help`;
  return url;
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return 'invalid endpoint';
  }
}

async function limitedText(response: Response): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > MAX_HELP_BYTES) throw new Error(`the help exceeds ${MAX_HELP_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
