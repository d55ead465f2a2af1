import type { PolicySource } from '../approvals/policy-source.ts';
import type { Router } from '../server/router.ts';
import type { Service } from '../server/server.ts';
import { openDashboardStore } from '../store/dashboard-store.ts';
import type { Store } from '../store/store.ts';
import type { ActionResult, LiveEnvironment, RerunRequest, RollbackRequest, StartRequest } from './data.ts';
import { createDashboard } from './routes.ts';
import { storeData } from './store-data.ts';

/** What `slipway serve` configures the dashboard with. */
export interface DashboardConfig {
  /** Environments of the ops repository, for the releases page. */
  environments: string[];
  /** Where the dashboard is reachable from browsers, e.g. `https://ci.example.com` behind a TLS proxy. */
  publicUrl?: string;
  /** Queues a rollback run of an environment in `store` (through the same gates as a deploy); without it, no rollback buttons. */
  rollback?(store: Store, req: RollbackRequest, policy: PolicySource): Promise<ActionResult>;
  /** Queues a re-run of a failed run's failed jobs in `store`; without it, no re-run button. */
  rerun?(store: Store, req: RerunRequest, policy: PolicySource): Promise<ActionResult>;
  /** Queues a redeploy of the live release (same gates); without it, no redeploy buttons. */
  redeploy?(store: Store, req: RollbackRequest, policy: PolicySource): Promise<ActionResult>;
  /** Queues a run of a pipeline's jobs in an environment (same gates); without it, no run button. */
  startRun?(store: Store, req: StartRequest, policy: PolicySource): Promise<ActionResult>;
  /** Reads what runs where in an environment from its hosts; without it the page shows no apps. */
  live?(env: string, policy: PolicySource): Promise<LiveEnvironment>;
}

/**
 * The dashboard as a part of `slipway serve`: `mount` makes it the router's fallback (every path no other
 * route takes), `service` ends its live streams and closes its own store connection on shutdown. `decided` is
 * told of every accepted decision, so the server's worker resumes the run at once.
 */
export function dashboardService(
  o: DashboardConfig & {
    store: Store;
    statePath: string;
    /** The policy in force (the default branch): people, teams and gates for every decision. */
    policy: PolicySource;
    decided(runId: number): void;
  },
): { mount(router: Router): void; service: Service } {
  const own = openDashboardStore(o.statePath);
  const dashboard = createDashboard({
    users: own.users,
    data: storeData({
      store: o.store,
      facets: own.facets,
      policy: o.policy,
      environments: () => o.environments,
      onDecision: o.decided,
      rollback: wakeAfter(o, o.rollback),
      rerun: wakeAfter(o, o.rerun),
      redeploy: wakeAfter(o, o.redeploy),
      startRun: wakeAfter(o, o.startRun),
      ...(o.live ? { live: (env: string) => o.live!(env, o.policy) } : {}),
    }),
    publicOrigin: o.publicUrl && new URL(o.publicUrl).origin,
  });
  return {
    mount: (router) => {
      router.fallback((req, res) => dashboard.handle(req, res));
    },
    service: {
      name: 'dashboard',
      stop: async () => {
        dashboard.close();
        own.close();
      },
    },
  };
}

/** A start (rollback, re-run, redeploy, run) the worker runs at once, like a decided gate: it is woken with the queued run's id. */
function wakeAfter<R>(
  o: { store: Store; policy: PolicySource; decided(runId: number): void },
  start: ((store: Store, req: R, policy: PolicySource) => Promise<ActionResult>) | undefined,
): ((req: R) => Promise<ActionResult>) | undefined {
  if (!start) return undefined;
  return async (req) => {
    const result = await start(o.store, req, o.policy);
    if (result.ok && result.runId) o.decided(Number(result.runId));
    return result;
  };
}
