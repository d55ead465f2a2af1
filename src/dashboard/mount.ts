import type { TeamResolver } from '../approvals/teams.ts';
import type { Router } from '../server/router.ts';
import type { Service } from '../server/server.ts';
import { openDashboardStore } from '../store/dashboard-store.ts';
import type { Store } from '../store/store.ts';
import type { DashboardData } from './data.ts';
import { createDashboard } from './routes.ts';
import { storeData } from './store-data.ts';

/** What `slipway serve` configures the dashboard with. */
export interface DashboardConfig {
  /** Members of the teams named in approval policies (slipway.yml `teams`). */
  teams: TeamResolver;
  /** Environments of the ops repository, for the releases page. */
  environments: string[];
  /** Where the dashboard is reachable from browsers, e.g. `https://ci.example.com` behind a TLS proxy. */
  publicUrl?: string;
  /** Starts a rollback run of an environment (through the same gates as a deploy); without it, no rollback buttons. */
  rollback?: DashboardData['rollback'];
}

/**
 * The dashboard as a part of `slipway serve`: `mount` makes it the router's fallback (every path no other
 * route takes), `service` ends its live streams and closes its own store connection on shutdown. `decided` is
 * told of every accepted decision, so the server's worker resumes the run at once.
 */
export function dashboardService(
  o: DashboardConfig & { store: Store; statePath: string; decided(runId: number): void },
): { mount(router: Router): void; service: Service } {
  const own = openDashboardStore(o.statePath);
  const dashboard = createDashboard({
    users: own.users,
    data: storeData({
      store: o.store,
      facets: own.facets,
      teams: o.teams,
      environments: () => o.environments,
      onDecision: o.decided,
      rollback: o.rollback,
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
