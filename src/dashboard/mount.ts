import type { PolicySource } from '../approvals/policy-source.ts';
import type { Router } from '../server/router.ts';
import type { Service } from '../server/server.ts';
import { openDashboardStore } from '../store/dashboard-store.ts';
import type { Store } from '../store/store.ts';
import type { ActionResult, RerunRequest, RollbackRequest } from './data.ts';
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
      rollback: o.rollback && ((req) => queueAndWake(o, o.rollback!(o.store, req, o.policy))),
      rerun: o.rerun && ((req) => queueAndWake(o, o.rerun!(o.store, req, o.policy))),
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

/** A run queued from the dashboard (rollback, re-run) is run at once, like a decided gate: the worker is woken. */
async function queueAndWake(
  o: { decided(runId: number): void },
  queued: Promise<ActionResult>,
): Promise<ActionResult> {
  const result = await queued;
  if (result.ok && result.runId) o.decided(Number(result.runId));
  return result;
}
