import { convergeConfig } from '../caddy/apply.ts';
import { diffCaddyConfig } from '../caddy/diff.ts';
import { adminSocketOf, type HostAdmin, openHostAdmin } from '../caddy/host-admin.ts';
import { installCaddy } from '../caddy/install.ts';
import { liveAppUpstreams } from '../caddy/live-upstreams.ts';
import { type CaddyJson, renderCaddyConfig } from '../caddy/render.ts';
import { targetHosts } from '../config/inventory/targets.ts';
import type { Sites } from '../config/schema/sites.ts';
import type { InventoryHost } from '../config/types.ts';
import type { Change, HostStatus } from '../core/changes.ts';
import { allOk, forEachHost } from '../remote/fanout.ts';
import { hostParallelism } from '../remote/parallelism.ts';
import type { TransportPool } from '../remote/pool.ts';
import { TransportError } from '../remote/transport.ts';
import { errorMessage } from '../util/errors.ts';
import type { CaddyStep } from './kinds/caddy.ts';
import type { StepContext, StepHandler, StepResult } from './types.ts';

/** Installs and starts Caddy on hosts where it does not answer (roles/caddy through the Ansible wrapper). */
export type CaddyInstaller = (ctx: StepContext, hosts: readonly InventoryHost[]) => Promise<void>;

// The config layer loaded and validated every sites file a caddy step names.
function sitesOf(ctx: StepContext, step: CaddyStep): Sites {
  const sites = ctx.repo.sitesFiles.get(step.caddy.sites);
  if (!sites)
    throw new Error(`${step.caddy.sites} is missing: the caddy step renders Caddy's config from it`);
  return sites;
}

function portsOf(host: InventoryHost): { http: number; https: number } {
  const port = (name: string, fallback: number) => {
    const v = Number(host.vars[name] ?? fallback);
    if (!Number.isInteger(v) || v < 1 || v > 65535)
      throw new Error(`${host.name}: ${name} must be a port number`);
    return v;
  };
  return { http: port('caddy_http_port', 80), https: port('caddy_https_port', 443) };
}

/** The desired config of a host given its live one (app upstreams stay as the last deploy set them). */
function desiredFor(sites: Sites, environment: string, host: InventoryHost): (live: unknown) => CaddyJson {
  const target = { name: host.name, groups: host.groups };
  const fixed = { sites, environment, host: target, adminSocket: adminSocketOf(host), ports: portsOf(host) };
  return (live) => renderCaddyConfig({ ...fixed, upstreams: liveAppUpstreams(live, fixed) });
}

function notAnswering(host: InventoryHost, h: HostAdmin): Error {
  return new Error(`${host.name}: Caddy does not answer (${h.down}) and install is false`);
}

const INSTALL: Omit<Change, 'host'> = { action: 'run', subject: 'install and start Caddy (roles/caddy)' };

/** The `caddy` step kind, with the installer the engine wires in (roles/caddy through the Ansible wrapper). */
export function caddyHandler(install: CaddyInstaller): StepHandler<CaddyStep> {
  const perHost = async <T>(
    ctx: StepContext,
    step: CaddyStep,
    pool: TransportPool,
    fn: (h: HostAdmin, host: InventoryHost, desired: (live: unknown) => CaddyJson) => Promise<T>,
    reportHosts = false,
  ): Promise<Map<string, T>> => {
    const inventory = ctx.inventory;
    const sites = sitesOf(ctx, step);
    const outcomes = await forEachHost(
      targetHosts('caddy', inventory, step.caddy.hosts),
      hostParallelism(),
      async (host) => {
        const h = await openHostAdmin(pool.get(host), ctx.signal, adminSocketOf(host)).catch(
          (err: unknown) => {
            if (reportHosts && err instanceof TransportError)
              ctx.hostStatus(host.name, 'unreachable', err.message);
            throw err;
          },
        );
        try {
          return await fn(h, host, desiredFor(sites, inventory!.environment, host));
        } finally {
          await h.close();
        }
      },
      { signal: ctx.signal },
    );
    return allOk(outcomes);
  };
  const applyWith = async (ctx: StepContext, step: CaddyStep, pool: TransportPool): Promise<StepResult> => {
    // Probe first, install where Caddy does not answer, then converge every host.
    const down = await perHost(
      ctx,
      step,
      pool,
      async (h, host) => {
        if (h.live !== undefined) return false;
        if (!step.caddy.install) throw notAnswering(host, h);
        ctx.log(`Caddy does not answer (${h.down}): installing`, { host: host.name });
        return true;
      },
      true,
    );
    const missing = targetHosts('caddy', ctx.inventory, step.caddy.hosts).filter((h) => down.get(h.name));
    if (missing.length > 0) await install(ctx, missing);

    const statuses: Record<string, HostStatus> = {};
    await perHost(
      ctx,
      step,
      pool,
      async (h, host, desired) => {
        ctx.hostStatus(host.name, 'running');
        try {
          const { changes, conflicts } = await convergeConfig(h.admin, desired, { host: host.name });
          if (conflicts > 0)
            ctx.log(`config changed meanwhile: re-planned ${conflicts} time(s)`, { host: host.name });
          for (const c of changes) ctx.log(`${c.action} ${c.subject}`, { host: host.name });
          statuses[host.name] = changes.length > 0 || down.get(host.name) ? 'changed' : 'ok';
          ctx.hostStatus(host.name, statuses[host.name]!);
        } catch (err) {
          // Caddy keeps serving its previous config when it refuses a new one; its message goes out verbatim.
          statuses[host.name] = 'failed';
          ctx.hostStatus(host.name, 'failed', errorMessage(err));
          throw err;
        }
      },
      true,
    );
    return { changed: Object.values(statuses).includes('changed'), hosts: statuses };
  };

  return {
    async plan(ctx, step) {
      const byHost = await perHost(ctx, step, ctx.transports, async (h, host, desired) => {
        if (h.live !== undefined) return diffCaddyConfig(h.live, desired(h.live), host.name);
        if (!step.caddy.install) throw notAnswering(host, h);
        return [{ ...INSTALL, host: host.name }, ...diffCaddyConfig(null, desired(null), host.name)];
      });
      return [...byHost.values()].flat();
    },

    apply: (ctx, step) => applyWith(ctx, step, ctx.transports),
  };
}

/** The `caddy` step kind as the engine runs it: installs with roles/caddy through the Ansible wrapper. */
export const caddyStepHandler: StepHandler<CaddyStep> = caddyHandler(async (ctx, hosts) => {
  await installCaddy({
    inventory: ctx.inventory!,
    hosts,
    root: ctx.repo.root,
    signal: ctx.signal,
    log: (line, host) => ctx.log(line, host ? { host } : undefined),
  });
});
