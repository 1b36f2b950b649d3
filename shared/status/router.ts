import { METHODS, type IncomingMessage, type ServerResponse } from 'node:http';
import FindMyWay from 'find-my-way';
import { sendText } from './respond';

/**
 * Matches a request to one entry of a route table, on find-my-way (the radix-tree router under
 * Fastify, which works on node:http's request and response as they are). The table is data
 * (method, path pattern, handler), so every URL the status pages answer is listed in one place
 * (http.ts). A request no route matches is left to the host (`false`), as a path it does not serve.
 * A path whose percent-encoding does not decode is no route's: it is answered 400 here, once for
 * every route, before a handler could trip over it.
 */

export type HttpMethod = FindMyWay.HTTPMethod;

/** One request as a handler receives it; `url` is parsed once, against a placeholder origin. */
export interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
}

/** Path parameters (`:name`, and `*` for the rest of the path), already percent-decoded. */
export type RouteParams = Readonly<Record<string, string>>;

export type RouteHandler = (exchange: Exchange, params: RouteParams) => Promise<void> | void;

export interface Route {
  method: HttpMethod | readonly HttpMethod[];
  path: string;
  handle: RouteHandler;
  /** Answers every other method on this path (405); without it, those are paths not served here. */
  otherMethods?: (exchange: Exchange, allowed: readonly HttpMethod[]) => Promise<void> | void;
}

export const READ: readonly HttpMethod[] = ['GET', 'HEAD'];

/**
 * Every method node:http parses, for `otherMethods`. find-my-way's list is a snapshot of Node 22's,
 * so on Node 20 and 22 the two agree.
 */
const ALL_METHODS = METHODS as readonly HttpMethod[];

/** Artifact paths and GCS-style job-history paths are long; find-my-way's default cap is 100 characters. */
const MAX_PARAM_LENGTH = 8 * 1024;

/** find-my-way hands back what was registered as the route's store; ours is the handler and its params. */
interface Registered {
  handle: (exchange: Exchange, params: RouteParams) => Promise<void> | void;
}

export function createRouter(routes: readonly Route[]): (exchange: Exchange) => Promise<boolean> {
  const router = FindMyWay({ maxParamLength: MAX_PARAM_LENGTH });
  const unused = () => undefined;
  for (const route of routes) {
    const methods: readonly HttpMethod[] = typeof route.method === 'string' ? [route.method] : route.method;
    router.on([...methods], route.path, unused, { handle: route.handle } satisfies Registered);
    const refuse = route.otherMethods;
    if (refuse) {
      const others = ALL_METHODS.filter((method) => !methods.includes(method));
      router.on(others, route.path, unused, { handle: (exchange) => refuse(exchange, methods) } satisfies Registered);
    }
  }

  return async (exchange) => {
    if (!decodes(exchange.url.pathname)) {
      sendText(exchange.response, 400, 'Bad request: malformed percent-encoding in the URL path (each % must start two hex digits, and together they must spell UTF-8).');
      return true;
    }
    const found = router.find((exchange.request.method ?? 'GET') as HttpMethod, exchange.url.pathname);
    if (!found) return false;
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(found.params)) {
      // `/view/` is no job's page: a parameter matches one character at least, as the path
      // patterns always required.
      if (!value) return false;
      params[name] = value;
    }
    await (found.store as Registered).handle(exchange, params);
    return true;
  };
}

function decodes(pathname: string): boolean {
  if (!pathname.includes('%')) return true;
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}
