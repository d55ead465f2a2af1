import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Html } from './views/html.ts';

/** Headers on every dashboard response: no framing, no sniffing, scripts and styles only from us. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Same-origin keeps the Referer the CSRF origin check falls back on, and sends it nowhere else.
  'referrer-policy': 'same-origin',
};

/** Sends a rendered page. */
export function sendHtml(
  res: ServerResponse,
  status: number,
  body: Html,
  headers: Record<string, string | string[]> = {},
) {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body.text);
}

/** Sends a 303 to `location` (after a POST, so a reload does not post again). */
export function redirect(
  res: ServerResponse,
  location: string,
  headers: Record<string, string | string[]> = {},
) {
  res.writeHead(303, { ...SECURITY_HEADERS, location, 'cache-control': 'no-store', ...headers });
  res.end();
}

/** Largest form body accepted; the dashboard's forms carry a token and a reason, nothing more. */
const MAX_FORM_BYTES = 16 * 1024;

/** Reads an urlencoded form body; rejects other content types and oversized bodies. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded')
    throw new FormError('expected a form (application/x-www-form-urlencoded)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new FormError('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** A request the dashboard refuses with 400; the message says what was expected. */
export class RequestError extends Error {}

/** A request body the dashboard will not read. */
export class FormError extends RequestError {}

/** Control characters (C0 and DEL): never in a path a browser sends, and not allowed in a Location header. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The origin `next` is resolved against: anything that leaves it is not a local path. */
const HERE = new URL('http://dashboard.invalid/');

/**
 * A path a sign-in may return to: `next` resolved against this site the way a browser resolves a Location
 * (so `/\t/evil.example` or `/\\evil.example` are seen as the other site they are), kept only when it stays
 * here; else `/`. Control characters are refused (400).
 */
export function safeLocalPath(next: string | null | undefined): string {
  if (!next) return '/';
  if (CONTROL.test(next)) throw new RequestError('next: expected a path without control characters');
  if (!next.startsWith('/')) return '/';
  const url = URL.parse(next, HERE.href);
  return url?.origin === HERE.origin ? `${url.pathname}${url.search}${url.hash}` : '/';
}
