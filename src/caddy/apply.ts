import type { Change } from '../core/changes.ts';
import { type CaddyAdmin, CaddyConflictError } from './admin-client.ts';
import { diffCaddyConfig } from './diff.ts';
import type { CaddyJson } from './render.ts';

/** What converging one host did. */
export interface ConvergeResult {
  changes: Change[];
  /** How many writes were refused with 412 because someone changed the config meanwhile. */
  conflicts: number;
}

/**
 * Makes the live config equal the desired one in one reload, retrying on a stale ETag: re-read, re-plan
 * (`desired` may be a function of the live config, e.g. to keep live upstreams), write again.
 */
export async function convergeConfig(
  admin: CaddyAdmin,
  desired: CaddyJson | ((live: unknown) => CaddyJson),
  opts: { host?: string; attempts?: number } = {},
): Promise<ConvergeResult> {
  const attempts = opts.attempts ?? 5;
  for (let conflicts = 0; ; conflicts++) {
    const live = await admin.get('/config/');
    const want = typeof desired === 'function' ? desired(live.value) : desired;
    const changes = diffCaddyConfig(live.value, want, opts.host);
    if (changes.length === 0) return { changes, conflicts };
    try {
      await admin.putConfig(want, live.etag);
      return { changes, conflicts };
    } catch (err) {
      if (!(err instanceof CaddyConflictError) || conflicts + 1 >= attempts) throw err;
    }
  }
}

/** A reverse_proxy handler (by `@id`) and the upstreams it should have. */
export interface UpstreamTarget {
  id: string;
  dials: readonly string[];
}

/** A handler a switch wrote, with the upstreams it had before, to put them back. */
export interface UpstreamWrite {
  id: string;
  previous: string[];
}

/**
 * Points each handler at its dials, writing only those that differ. Every handler is read before
 * any is written, so a missing one fails the switch with nothing changed; a failed write puts back
 * the ones already written. Returns what was written.
 */
export async function switchUpstreams(
  admin: CaddyAdmin,
  targets: readonly UpstreamTarget[],
): Promise<UpstreamWrite[]> {
  const current = await Promise.all(
    targets.map(async (t) => {
      const ups = await admin.getById<{ dial: string }[] | null>(t.id, 'upstreams').catch((err: Error) => {
        throw new Error(
          `Caddy has no route ${t.id} (run the infra pipeline's caddy step first): ${err.message}`,
        );
      });
      return (ups ?? []).map((u) => u.dial);
    }),
  );
  const written: UpstreamWrite[] = [];
  try {
    for (const [i, t] of targets.entries()) {
      if (JSON.stringify(current[i]) === JSON.stringify(t.dials)) continue;
      await admin.patchUpstreams(t.id, t.dials);
      written.push({ id: t.id, previous: current[i]! });
    }
  } catch (err) {
    for (const w of written) await admin.patchUpstreams(w.id, w.previous).catch(() => undefined);
    throw err;
  }
  return written;
}
