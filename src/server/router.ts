import type { IncomingMessage, ServerResponse } from 'node:http';

/** Answers one request; the router has already matched method and path. */
export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/**
 * Exact method + path routes, then an optional fallback (the dashboard mounts itself there), so each
 * feature adds its routes without knowing the others.
 */
export class Router {
  readonly #routes = new Map<string, Map<string, Handler>>();
  #fallback?: Handler;

  /** Adds a route; the same method and path twice is a programming error. */
  add(method: string, path: string, handler: Handler): this {
    const byMethod = this.#routes.get(path) ?? new Map<string, Handler>();
    if (byMethod.has(method)) throw new Error(`route ${method} ${path} is already taken`);
    byMethod.set(method, handler);
    this.#routes.set(path, byMethod);
    return this;
  }

  /** Sets what answers requests no route matches. */
  fallback(handler: Handler): this {
    this.#fallback = handler;
    return this;
  }

  /** Dispatches a request: 405 with Allow for a known path and another method, 404 for an unknown path. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const byMethod = this.#routes.get(url.pathname);
    const handler =
      byMethod?.get(req.method ?? 'GET') ?? (req.method === 'HEAD' ? byMethod?.get('GET') : undefined);
    if (handler) return handler(req, res, url);
    if (byMethod)
      return sendText(res, 405, 'method not allowed\n', { allow: [...byMethod.keys()].join(', ') });
    if (this.#fallback) return this.#fallback(req, res, url);
    return sendText(res, 404, 'not found\n');
  }
}

/** Sends a short plain-text answer. */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Sends a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}
