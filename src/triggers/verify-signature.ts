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

/** The digest a signature header claims; undefined when it is missing or not in the forge's style. */
export function claimedDigest(header: string | undefined, style: SignatureStyle): Buffer | undefined {
  const hex =
    style === 'github'
      ? header?.match(/^sha256=([0-9a-fA-F]{64})$/)?.[1]
      : header?.match(/^[0-9a-fA-F]{64}$/)?.[0];
  return hex ? Buffer.from(hex, 'hex') : undefined;
}

/** An HMAC SHA-256 fed chunk by chunk as a body streams in, compared in constant time with `claimed` at the end. */
export interface SignatureCheck {
  update(chunk: Buffer): void;
  matches(): boolean;
}

/** Starts checking a streamed body against `claimed` under `secret` (an empty secret matches nothing). */
export function signatureCheck(secret: string, claimed: Buffer): SignatureCheck {
  const hmac = createHmac('sha256', secret);
  return {
    update: (chunk) => {
      hmac.update(chunk);
    },
    matches: () => secret.length > 0 && timingSafeEqual(hmac.digest(), claimed),
  };
}
