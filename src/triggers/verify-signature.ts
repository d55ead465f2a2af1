import { createHmac, timingSafeEqual } from 'node:crypto';

/** How a forge writes the HMAC: GitHub `sha256=<hex>` in X-Hub-Signature-256, Gitea bare hex in X-Gitea-Signature. */
export type SignatureStyle = 'github' | 'gitea';

/** The header a forge sends the body's HMAC SHA-256 in (lower case, as node:http presents it). */
export const SIGNATURE_HEADER: Record<SignatureStyle, string> = {
  github: 'x-hub-signature-256',
  gitea: 'x-gitea-signature',
};

/** The signature header value a forge would send for `body`. */
export function signBody(body: string | Buffer, secret: string, style: SignatureStyle): string {
  const hex = createHmac('sha256', secret).update(body).digest('hex');
  return style === 'github' ? `sha256=${hex}` : hex;
}

/** Whether `header` is the HMAC SHA-256 of the raw `body` under `secret`, compared in constant time. */
export function verifySignature(
  body: Buffer,
  secret: string,
  header: string | undefined,
  style: SignatureStyle,
): boolean {
  if (!header || !secret) return false;
  const hex =
    style === 'github'
      ? header.match(/^sha256=([0-9a-fA-F]{64})$/)?.[1]
      : header.match(/^[0-9a-fA-F]{64}$/)?.[0];
  if (!hex) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(hex, 'hex'));
}
