import type { Sites } from '../config/schema/sites.ts';
import type { InventoryHost } from '../config/types.ts';
import type { Transport } from '../remote/transport.ts';
import { switchUpstreams } from './apply.ts';
import { adminSocketOf, openHostAdmin } from './host-admin.ts';
import { appUpstreamIds } from './render.ts';

/** Which app's upstreams to switch on which host, and to what. */
export interface UpstreamSwitch {
  sites: Sites;
  environment: string;
  host: InventoryHost;
  app: string;
  service?: string;
  /** New upstreams, e.g. `["127.0.0.1:32768"]`. */
  dials: readonly string[];
  signal?: AbortSignal;
}

/**
 * A deploy's switch: points every proxy handler of the app on one host at the new upstreams through
 * the forwarded admin socket (PATCH per handler, only where they differ). Returns the ids written; an
 * app no site proxies to returns none.
 */
export async function switchHostUpstreams(transport: Transport, s: UpstreamSwitch): Promise<string[]> {
  const ids = appUpstreamIds({ sites: s.sites, environment: s.environment, host: s.host }, s.app, s.service);
  if (ids.length === 0) return [];
  const h = await openHostAdmin(transport, s.signal, adminSocketOf(s.host));
  try {
    if (h.live === undefined) {
      throw new Error(
        `${s.host.name}: Caddy does not answer (${h.down}): run the caddy step (infra pipeline) first`,
      );
    }
    const written = await switchUpstreams(
      h.admin,
      ids.map((id) => ({ id, dials: s.dials })),
    );
    return written.map((w) => w.id);
  } finally {
    await h.close();
  }
}
