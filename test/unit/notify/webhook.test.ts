import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook, SIGNATURE_HEADER } from '../../../src/notify/webhook.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.ts';

let hook: WebhookReceiver;
beforeAll(async () => {
  hook = await startWebhookReceiver();
});
afterAll(() => hook?.close());

const post = (body: string, url = hook.url) =>
  postWebhook(url, 'hook-key-123', body, { event: 'gate.opened', delivery: '7', timeoutMs: 5_000 });

describe('postWebhook', () => {
  it('signs the exact body with HMAC-SHA256 of the key, with the event and delivery', async () => {
    const body = JSON.stringify({ event: 'gate.opened', text: 'ü' });
    expect(await post(body)).toEqual({ ok: true });
    const got = hook.received.at(-1)!;
    expect(got.body).toBe(body);
    expect(got.headers[SIGNATURE_HEADER]).toBe(
      `sha256=${createHmac('sha256', 'hook-key-123').update(body).digest('hex')}`,
    );
    expect(got.headers).toMatchObject({
      'x-slipway-event': 'gate.opened',
      'x-slipway-delivery': '7',
      'content-type': 'application/json',
    });
  });

  it('asks for a retry on 5xx, 429 and no answer; not on 4xx, nor on a redirect it does not follow', async () => {
    hook.answer(503, 429, 400, 302);
    expect(await post('{}')).toMatchObject({
      ok: false,
      retry: true,
      error: `POST to ${new URL(hook.url).origin} answered 503`,
    });
    expect(await post('{}')).toMatchObject({ ok: false, retry: true });
    expect(await post('{}')).toMatchObject({
      ok: false,
      retry: false,
      error: `POST to ${new URL(hook.url).origin} answered 400 (not retried)`,
    });
    const count = hook.received.length;
    expect(await post('{}')).toMatchObject({ ok: false, retry: false });
    // Not followed: the receiver would have seen the redirect's target too.
    expect(hook.received.length).toBe(count + 1);
    expect(await post('{}', 'http://127.0.0.1:9/nothing-listens')).toMatchObject({ ok: false, retry: true });
  });

  it('names only the origin when it fails: a chat hook carries its credential in the path', async () => {
    hook.answer(500);
    const failed = await post('{}', `${hook.url}/T000/B000/s3cr3t-hook-token`);
    expect(failed).toMatchObject({ ok: false, retry: true });
    expect(JSON.stringify(failed)).not.toContain('s3cr3t-hook-token');
  });
});
