import { createHmac } from 'node:crypto';
import { errorMessage } from '../util/errors.ts';

/** The header a receiver checks: `sha256=` and the HMAC-SHA256 of the body under the shared key. */
export const SIGNATURE_HEADER = 'x-slipway-signature-256';

/** The signature header's value for `body` under `key`. */
export function webhookSignature(body: string, key: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

/** How one attempt went: delivered, or why not and whether trying again may help. */
export type AttemptOutcome = { ok: true } | { ok: false; retry: boolean; error: string };

/**
 * POSTs `body` (JSON) to `url`, signed with `key`. A 2xx is delivered; a network error, a timeout, 408, 429 or
 * a 5xx may pass (retry); any other answer, a redirect included (never followed), will not.
 */
export async function postWebhook(
  url: string,
  key: string,
  body: string,
  meta: { event: string; delivery: string; timeoutMs: number },
): Promise<AttemptOutcome> {
  // Chat hooks carry their credential in the path: logs and the outbox name the origin only.
  const where = `to ${new URL(url).origin}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'slipway',
        'x-slipway-event': meta.event,
        'x-slipway-delivery': meta.delivery,
        [SIGNATURE_HEADER]: webhookSignature(body, key),
      },
      body,
      signal: AbortSignal.timeout(meta.timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    return { ok: false, retry: true, error: `POST ${where} failed: ${errorMessage(cause ?? err)}` };
  }
  await res.body?.cancel();
  if (res.ok) return { ok: true };
  const retry = res.status === 408 || res.status === 429 || res.status >= 500;
  return { ok: false, retry, error: `POST ${where} answered ${res.status}${retry ? '' : ' (not retried)'}` };
}
