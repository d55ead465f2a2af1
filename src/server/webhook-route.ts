import type { IncomingMessage } from 'node:http';
import type { ForgeKind } from '../forge/types.ts';
import type { Deliveries } from '../store/deliveries.ts';
import { SIGNATURE_HEADER, verifySignature } from '../triggers/verify-signature.ts';
import { BodyTooLarge, type Handler, readBody, sendJson, sendText } from './router.ts';

/** GitHub refuses to send payloads over 25 MB; nothing legitimate is larger. */
const MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;

/** Events worth keeping: pushes start pipelines, issue comments carry approvals. */
const KEPT_EVENTS = new Set(['push', 'issue_comment']);

/** What a webhook route needs. */
export interface WebhookRouteOptions {
  forge: ForgeKind;
  secret: string;
  deliveries: Deliveries;
  /** Called after a delivery is stored, to wake whatever processes them. */
  received(): void;
  log(line: string): void;
  now?: () => number;
}

/**
 * `POST /webhooks/<forge>`: checks the HMAC over the raw body, stores the delivery once (a replay is
 * recognised by its delivery id) and answers 202 before any work is done.
 */
export function webhookRoute(o: WebhookRouteOptions): Handler {
  return async (req, res) => {
    let body: Buffer;
    try {
      body = await readBody(req, MAX_PAYLOAD_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLarge) return sendText(res, 413, `${err.message}\n`);
      throw err;
    }
    const signature =
      header(req, SIGNATURE_HEADER[o.forge]) ??
      (o.forge === 'gitea' ? header(req, 'x-forgejo-signature') : undefined);
    if (!verifySignature(body, o.secret, signature, o.forge)) {
      o.log(`webhook ${o.forge}: refused a delivery with a missing or wrong signature`);
      return sendText(res, 401, 'signature does not match\n');
    }
    const event = o.forge === 'github' ? header(req, 'x-github-event') : giteaHeader(req, 'event');
    const delivery = o.forge === 'github' ? header(req, 'x-github-delivery') : giteaHeader(req, 'delivery');
    if (!event || !delivery) return sendText(res, 400, 'missing event or delivery header\n');
    if (event === 'ping') return sendJson(res, 200, { pong: true });
    if (!KEPT_EVENTS.has(event)) return sendJson(res, 202, { ignored: `event ${event} is not used` });

    const id = `${o.forge}:${delivery}`;
    const fresh = o.deliveries.record({
      id,
      forge: o.forge,
      event,
      payload: body.toString('utf8'),
      receivedAt: (o.now ?? Date.now)(),
    });
    if (!fresh) {
      o.log(`webhook ${o.forge}: delivery ${delivery} was already received, ignored`);
      return sendJson(res, 200, { duplicate: true, delivery });
    }
    sendJson(res, 202, { accepted: true, delivery });
    o.received();
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Gitea's header, or Forgejo's own name for it (Forgejo sends both, older versions only X-Gitea-*). */
function giteaHeader(req: IncomingMessage, what: 'event' | 'delivery'): string | undefined {
  return header(req, `x-gitea-${what}`) ?? header(req, `x-forgejo-${what}`);
}
