import type { IncomingMessage } from 'node:http';
import type { SignatureCheck } from '../triggers/verify-signature.ts';

/** Why a body was not read to its end: too large, too slow, or the sender went away. */
export class BodyRefused extends Error {
  readonly status: 408 | 413 | 499;
  constructor(status: 408 | 413 | 499, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Reads a request body while `check` hashes it, chunk by chunk as it arrives; refuses it past `limit`
 * bytes or when it has not all arrived within `deadlineMs` (a slow sender must not hold its room).
 */
export async function readSignedBody(
  req: IncomingMessage,
  check: SignatureCheck,
  o: { limit: number; deadlineMs: number },
): Promise<{ body: Buffer; signed: boolean }> {
  const timer = setTimeout(
    () => req.destroy(new BodyRefused(408, `the body did not arrive within ${o.deadlineMs} ms`)),
    o.deadlineMs,
  );
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > o.limit) throw new BodyRefused(413, `expected a body of at most ${o.limit} bytes, got more`);
      check.update(chunk);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof BodyRefused) throw err;
    throw new BodyRefused(499, `the sender went away: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearTimeout(timer);
  }
  // Joined only when signed: an unsigned body is dropped without a second copy.
  const signed = check.matches();
  return { body: signed ? Buffer.concat(chunks) : Buffer.alloc(0), signed };
}
