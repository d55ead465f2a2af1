import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ForgeKind } from '../forge/types.ts';
import { type Deliveries, pushKey } from '../store/deliveries.ts';
import { PayloadError, parsePushEvent } from '../triggers/push-event.ts';
import { claimedDigest, SIGNATURE_HEADER, signatureCheck } from '../triggers/verify-signature.ts';
import type { BodyBudget } from './body-budget.ts';
import { type DeliverySpool, type SpooledDelivery, SpoolRefused } from './delivery-spool.ts';
import { type Handler, sendJson, sendText } from './router.ts';
import { BodyRefused, readSignedBody } from './signed-body.ts';

/** GitHub refuses to send payloads over 25 MB; nothing legitimate is larger. */
const MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;

/** How long a body may take to arrive once it has room: a slow sender must not hold it. */
const BODY_DEADLINE_MS = 20_000;

/** What a sender told to come back later is told to wait, in seconds. */
const RETRY_AFTER_S = '5';

/** A push that came through the app repositories' route: it may start runs of registered apps only. */
export const APP_PUSH = 'app-push';

/** Events worth keeping: pushes start pipelines, issue comments carry approvals. */
const KEPT_EVENTS = new Set(['push', 'issue_comment']);

/** What a webhook route needs. */
export interface WebhookRouteOptions {
  forge: ForgeKind;
  secret: string;
  /**
   * The app repositories' route: its secret is given to app repositories, so it takes their pushes only
   * (stored as `app-push`, which queues runs of registered apps alone), never comments, which carry approvals.
   */
  appsOnly?: boolean;
  deliveries: Deliveries;
  /** Where a delivery goes when the store is busy, until the store takes it. */
  spool: DeliverySpool;
  /** Shared by the webhook routes: how many bodies are read at once. */
  budget: BodyBudget;
  /** Called after a delivery is stored, to wake whatever processes them. */
  received(): void;
  log(line: string): void;
  now?: () => number;
}

/**
 * `POST /webhooks/<forge>`: refuses a delivery without a well-formed signature before reading its body,
 * reads the body within the shared budget while its HMAC is computed, stores it once (a replay is
 * recognised by its delivery id, a push also by its repository, ref and new head) and answers 202 before
 * any work is done. A store busy with another process's write sends it to the spool, which the store takes
 * later; only when the spool cannot take it either is the answer 503 (the forge does not deliver again by
 * itself, so 202 means durable).
 */
export function webhookRoute(o: WebhookRouteOptions): Handler {
  return async (req, res) => {
    const claimed = claimedDigest(
      header(req, SIGNATURE_HEADER[o.forge]) ??
        (o.forge === 'gitea' ? header(req, 'x-forgejo-signature') : undefined),
      o.forge,
    );
    if (!claimed) return refuseSignature(o, res, 'unread');
    const event = o.forge === 'github' ? header(req, 'x-github-event') : giteaHeader(req, 'event');
    const delivery = o.forge === 'github' ? header(req, 'x-github-delivery') : giteaHeader(req, 'delivery');
    if (!event || !delivery) return refuseUnread(res, 400, 'missing event or delivery header\n');
    const declared =
      req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    if (declared !== undefined && declared > MAX_PAYLOAD_BYTES)
      return refuseUnread(
        res,
        413,
        `expected a body of at most ${MAX_PAYLOAD_BYTES} bytes, got ${declared}\n`,
      );

    const release = await o.budget.admit(declared ?? MAX_PAYLOAD_BYTES);
    if (!release) {
      o.log(`webhook ${o.forge}: delivery ${delivery} refused: too many bodies being read, asked to retry`);
      return busy(res, 'too many deliveries at once');
    }
    try {
      const read = await readSignedBody(req, signatureCheck(o.secret, claimed), {
        limit: MAX_PAYLOAD_BYTES,
        deadlineMs: BODY_DEADLINE_MS,
      });
      if (!read.signed) return refuseSignature(o, res, 'read');
      if (event === 'ping') return sendJson(res, 200, { pong: true });
      if (!KEPT_EVENTS.has(event)) return sendJson(res, 202, { ignored: `event ${event} is not used` });
      if (o.appsOnly && event !== 'push')
        return sendJson(res, 202, {
          ignored: `this route takes pushes of app repositories only, not ${event}`,
        });
      const kept = o.appsOnly ? APP_PUSH : event;
      store(o, res, { event: kept, delivery, payload: read.body.toString('utf8') });
    } catch (err) {
      if (!(err instanceof BodyRefused)) throw err;
      if (err.status !== 499 && !req.destroyed)
        sendText(res, err.status, `${err.message}\n`, { connection: 'close' });
    } finally {
      release();
    }
  };
}

/** Stores a signed delivery once (in the store, else in the spool) and answers what became of it. */
function store(
  o: WebhookRouteOptions,
  res: ServerResponse,
  d: { event: string; delivery: string; payload: string },
) {
  let key: string | undefined;
  try {
    key =
      d.event === 'push' || d.event === APP_PUSH
        ? pushKey(parsePushEvent(o.forge, JSON.parse(d.payload)))
        : undefined;
  } catch (err) {
    if (!(err instanceof PayloadError || err instanceof SyntaxError)) throw err;
    return sendText(res, 400, `not a push this runner understands: ${err.message}\n`);
  }
  const record: SpooledDelivery = {
    id: `${o.forge}:${d.delivery}`,
    forge: o.forge,
    event: d.event,
    payload: d.payload,
    receivedAt: (o.now ?? Date.now)(),
    ...(key ? { pushKey: key } : {}),
  };
  // While the spool holds deliveries, new ones queue behind them: runs are queued in the order pushes came.
  const stored = o.spool.count === 0 ? recordInStore(o, record) : 'busy';
  if (stored === 'busy') return spool(o, res, record, d.delivery);
  if (stored === 'duplicate') return duplicate(o, res, d.delivery, key);
  sendJson(res, 202, { accepted: true, delivery: d.delivery });
  o.received();
}

/** Records a delivery in the store; `busy` when another process held its write lock past the wait. */
function recordInStore(o: WebhookRouteOptions, record: SpooledDelivery): 'fresh' | 'duplicate' | 'busy' {
  try {
    return o.deliveries.record(record) ? 'fresh' : 'duplicate';
  } catch (err) {
    if (!isBusy(err)) throw err;
    return 'busy';
  }
}

/** Appends a delivery the store cannot take now to the spool (fsync'd before the 202); 503 when that fails too. */
function spool(o: WebhookRouteOptions, res: ServerResponse, record: SpooledDelivery, delivery: string) {
  if (o.spool.holds(record.id, record.pushKey)) {
    o.log(`webhook ${o.forge}: delivery ${delivery} ignored: already spooled`);
    return sendJson(res, 200, { duplicate: true, delivery });
  }
  try {
    o.spool.append(record);
  } catch (err) {
    if (!(err instanceof SpoolRefused)) throw err;
    o.log(`webhook ${o.forge}: delivery ${delivery} not stored: the store is busy and ${err.message}`);
    return busy(res, 'the state store is busy and the spool cannot take the delivery');
  }
  o.log(`webhook ${o.forge}: delivery ${delivery} spooled: the store is busy`);
  sendJson(res, 202, { accepted: true, delivery, spooled: true });
}

function duplicate(o: WebhookRouteOptions, res: ServerResponse, delivery: string, key?: string): void {
  const taken = key && o.deliveries.takenBy(key);
  o.log(
    `webhook ${o.forge}: delivery ${delivery} ignored: ${taken && taken !== `${o.forge}:${delivery}` ? `the same push as delivery ${taken}` : 'already received'}`,
  );
  sendJson(res, 200, { duplicate: true, delivery });
}

function refuseSignature(o: WebhookRouteOptions, res: ServerResponse, body: 'read' | 'unread'): void {
  o.log(`webhook ${o.forge}: refused a delivery with a missing or wrong signature`);
  if (body === 'read') sendText(res, 401, 'signature does not match\n');
  else refuseUnread(res, 401, 'signature does not match\n');
}

/**
 * Answers a request whose body was not read and closes its connection once the answer is out: Node
 * would otherwise read the whole body (up to 25 MB) to keep the connection alive, only to drop it.
 */
function refuseUnread(res: ServerResponse, status: number, text: string): void {
  res.once('finish', () => res.socket?.destroy());
  sendText(res, status, text, { connection: 'close' });
}

function busy(res: ServerResponse, why: string): void {
  sendText(res, 503, `${why}: retry later\n`, { 'retry-after': RETRY_AFTER_S });
}

/** SQLite's "database is locked": another connection holds the write lock longer than the busy timeout. */
function isBusy(err: unknown): boolean {
  const code = (err as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' && (code & 0xff) === 5;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Gitea's header, or Forgejo's own name for it (Forgejo sends both, older versions only X-Gitea-*). */
function giteaHeader(req: IncomingMessage, what: 'event' | 'delivery'): string | undefined {
  return header(req, `x-gitea-${what}`) ?? header(req, `x-forgejo-${what}`);
}
