import { describe, expect, it } from 'vitest';
import {
  claimedDigest,
  type SignatureStyle,
  signatureCheck,
  signBody,
} from '../../../src/triggers/verify-signature.ts';
import { pushPayload } from '../../support/webhook-payloads.ts';

const SECRET = "It's a Secret to Everybody";

/** Checks `body` as the webhook route does: the claimed digest, then the HMAC fed in two chunks. */
function verifySignature(body: Buffer, secret: string, header: string | undefined, style: SignatureStyle) {
  const claimed = claimedDigest(header, style);
  if (!claimed) return false;
  const check = signatureCheck(secret, claimed);
  check.update(body.subarray(0, 7));
  check.update(body.subarray(7));
  return check.matches();
}

describe('verifySignature', () => {
  const body = Buffer.from(JSON.stringify(pushPayload('github')));

  it('accepts GitHub sha256= and Gitea bare hex over the raw body', () => {
    expect(verifySignature(body, SECRET, signBody(body, SECRET, 'github'), 'github')).toBe(true);
    expect(verifySignature(body, SECRET, signBody(body, SECRET, 'gitea'), 'gitea')).toBe(true);
  });

  it('matches the example of GitHub’s webhook documentation', () => {
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(verifySignature(Buffer.from('Hello, World!'), SECRET, header, 'github')).toBe(true);
  });

  it('refuses a wrong secret, a changed body, the other header style, and garbage', () => {
    const good = signBody(body, SECRET, 'github');
    expect(verifySignature(body, 'other', good, 'github')).toBe(false);
    expect(verifySignature(Buffer.concat([body, Buffer.from(' ')]), SECRET, good, 'github')).toBe(false);
    expect(verifySignature(body, SECRET, good.slice('sha256='.length), 'github')).toBe(false);
    expect(verifySignature(body, SECRET, good, 'gitea')).toBe(false);
    expect(verifySignature(body, SECRET, undefined, 'github')).toBe(false);
    expect(verifySignature(body, SECRET, 'sha256=zz', 'github')).toBe(false);
    expect(verifySignature(body, '', signBody(body, '', 'github'), 'github')).toBe(false);
  });
});
