import { Client } from 'undici';

/** Caddy refused a request; `message` is Caddy's own error text, verbatim. */
export class CaddyAdminError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'CaddyAdminError';
    this.status = status;
  }
}

/** A write carried an ETag that no longer matches: someone changed the config since it was read. */
export class CaddyConflictError extends CaddyAdminError {
  constructor(message: string) {
    super(412, message);
    this.name = 'CaddyConflictError';
  }
}

/** A config value read from the admin API with the ETag that a write must echo in If-Match. */
export interface Versioned<T = unknown> {
  value: T;
  etag: string;
}

/** Options of the admin client. */
export interface CaddyAdminOptions {
  /** Per-request limit; a reload of a large config takes a while, so the default is generous. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Client of Caddy's admin API on a unix socket (local, or SSH-forwarded from a host). */
export class CaddyAdmin {
  readonly socketPath: string;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;

  constructor(socketPath: string, opts: CaddyAdminOptions = {}) {
    this.socketPath = socketPath;
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
    this.#signal = opts.signal;
  }

  /** Reads the config at `path` (e.g. `/config/`) and its ETag; a missing path reads as `null`. */
  async get<T = unknown>(path = '/config/'): Promise<Versioned<T>> {
    const res = await this.#request('GET', path);
    return { value: (res.body === '' ? null : JSON.parse(res.body)) as T, etag: res.etag ?? '' };
  }

  /** Reads the object carrying `@id` `id` (optionally a key below it); throws when the id is unknown. */
  async getById<T = unknown>(id: string, below = ''): Promise<T> {
    return (await this.get<T>(idPath(id, below))).value;
  }

  /** Replaces the whole config in one reload; with `etag`, only if nobody changed it since it was read. */
  async putConfig(config: unknown, etag?: string): Promise<void> {
    // POST /config/ honours If-Match; POST /load would ignore it (Caddy 2.6.2).
    await this.#request('POST', '/config/', JSON.stringify(config), etag);
  }

  /** Loads a whole config through POST /load (no ETag check): used for bootstrap and as a baseline. */
  async load(config: unknown): Promise<void> {
    await this.#request('POST', '/load', JSON.stringify(config));
  }

  /** Replaces the upstreams of the reverse_proxy handler with `@id` `id` (one reload). */
  async patchUpstreams(id: string, dials: readonly string[], etag?: string): Promise<void> {
    await this.#request(
      'PATCH',
      idPath(id, 'upstreams'),
      JSON.stringify(dials.map((dial) => ({ dial }))),
      etag,
    );
  }

  async #request(
    method: string,
    path: string,
    body?: string,
    etag?: string,
  ): Promise<{ body: string; etag?: string }> {
    // One connection per request: Caddy restarts its admin server on every config change, so a kept-alive
    // connection may be dead by the next write.
    const client = new Client('http://caddy-admin', { socketPath: this.socketPath, pipelining: 0 });
    const signals = [AbortSignal.timeout(this.#timeoutMs), ...(this.#signal ? [this.#signal] : [])];
    try {
      const headers: Record<string, string> = {
        // Over a unix socket Caddy accepts an empty Host (or one listed in admin.origins).
        host: '',
        connection: 'close',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(etag ? { 'if-match': etag } : {}),
      };
      const res = await client.request({ method, path, headers, body, signal: AbortSignal.any(signals) });
      const text = await res.body.text();
      if (res.statusCode === 412) throw new CaddyConflictError(errorText(text, res.statusCode));
      if (res.statusCode >= 400) throw new CaddyAdminError(res.statusCode, errorText(text, res.statusCode));
      // The ETag is an HTTP trailer in Caddy 2.6.2: only there once the body has been read.
      const tag = res.trailers.etag ?? res.headers.etag;
      return { body: text.trim(), etag: typeof tag === 'string' ? tag : undefined };
    } finally {
      await client.close().catch(() => undefined);
    }
  }
}

function idPath(id: string, below: string): string {
  // Caddy decodes the path before splitting it, so the id's own %-escapes must survive one decoding.
  const tail = below ? `/${below.replace(/^\/+/, '')}` : '';
  return `/id/${encodeURIComponent(id)}${tail}`;
}

function errorText(body: string, status: number): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.trim() || `HTTP ${status}`;
}
