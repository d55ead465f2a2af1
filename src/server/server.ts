import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ForgeKind } from '../forge/types.ts';
import type { Deliveries } from '../store/deliveries.ts';
import { errorMessage } from '../util/errors.ts';
import { BodyBudget, type BodyBudgetLimits } from './body-budget.ts';
import type { DeliverySpool } from './delivery-spool.ts';
import { type Handler, Router, sendJson, sendText } from './router.ts';
import { webhookRoute } from './webhook-route.ts';

/** A part of the server with work to finish on shutdown (processor, poller, worker). */
export interface Service {
  name: string;
  /** Stops taking work and waits for (or checkpoints) what is under way. */
  stop(): Promise<void>;
}

/**
 * Webhook bodies read at once: a few, and together at most about one of the largest a forge sends, so
 * unsigned bodies (known to be unsigned only at their last byte) cannot fill memory; a burst waits its turn.
 */
export const WEBHOOK_BODY_LIMITS: BodyBudgetLimits = {
  bodies: 4,
  bytes: 32 * 1024 * 1024,
  waiting: 128,
  waitMs: 10_000,
};

/** How long a client may take to send a whole request (headers and body); slower ones are cut. */
const REQUEST_TIMEOUT_MS = 60_000;

/** How `slipway serve` listens and what it mounts. */
export interface HttpServerOptions {
  host: string;
  port: number;
  /** Where webhook deliveries are stored (a connection whose writes wait briefly for other processes). */
  deliveries: Deliveries;
  /** Where webhook deliveries go while the store is busy. */
  spool: DeliverySpool;
  /** Webhook secret per forge; a forge without one has no route. */
  secrets: Partial<Record<ForgeKind, string>>;
  /** Secret of the app repositories' route per forge (`/webhooks/<forge>/apps`: their pushes only). */
  appSecrets?: Partial<Record<ForgeKind, string>>;
  /** Woken after each stored delivery. */
  received(): void;
  services: Service[];
  /** Overrides WEBHOOK_BODY_LIMITS (tests). */
  bodyLimits?: BodyBudgetLimits;
  /** Extra routes (the dashboard's fallback, for one). */
  mount?: (router: Router) => void;
  log(line: string): void;
}

/** A listening server. */
export interface RunningServer {
  url: string;
  router: Router;
  /** Graceful stop: refuse new requests, finish open ones, stop every service (running work checkpoints). */
  close(): Promise<void>;
}

/** Starts the HTTP side of `slipway serve`: webhooks, /healthz, and whatever `mount` adds. */
export async function startHttpServer(o: HttpServerOptions): Promise<RunningServer> {
  const router = new Router();
  let closing = false;
  const budget = new BodyBudget(o.bodyLimits ?? WEBHOOK_BODY_LIMITS);
  const routes = [
    ...(['github', 'gitea'] as const).map((forge) => ({ forge, secret: o.secrets[forge], appsOnly: false })),
    ...(['github', 'gitea'] as const).map((forge) => ({
      forge,
      secret: o.appSecrets?.[forge],
      appsOnly: true,
    })),
  ];
  for (const { forge, secret, appsOnly } of routes) {
    if (!secret) continue;
    router.add(
      'POST',
      `/webhooks/${forge}${appsOnly ? '/apps' : ''}`,
      webhookRoute({
        forge,
        secret,
        appsOnly,
        deliveries: o.deliveries,
        spool: o.spool,
        budget,
        received: o.received,
        log: o.log,
      }),
    );
  }
  const healthz: Handler = (_req, res) =>
    closing
      ? sendJson(res, 503, { ok: false, state: 'shutting down' })
      : sendJson(res, 200, {
          ok: true,
          pendingDeliveries: o.deliveries.pending(1000).length,
          spooledDeliveries: o.spool.count,
        });
  router.add('GET', '/healthz', healthz);
  o.mount?.(router);

  const server: Server = createServer((req, res) => {
    if (closing) res.setHeader('connection', 'close');
    router.handle(req, res).catch((err: unknown) => {
      o.log(`${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}`);
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    router,
    close() {
      closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        for (const s of o.services) {
          try {
            await s.stop();
          } catch (err) {
            o.log(`shutdown: ${s.name}: ${errorMessage(err)}`);
          }
        }
        // Open requests had the services' stop time to finish; the rest are cut.
        server.closeAllConnections();
        await stopped;
      })();
      return closed;
    },
  };
}
