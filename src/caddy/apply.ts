import type { Change } from '../steps/types.ts';
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

/** Points the reverse_proxy handlers `ids` at `dials`, writing only those that differ; returns the ids written. */
export async function switchUpstreams(
  admin: CaddyAdmin,
  ids: readonly string[],
  dials: readonly string[],
): Promise<string[]> {
  const written: string[] = [];
  const want = JSON.stringify(dials.map((dial) => ({ dial })));
  for (const id of ids) {
    const current = await admin.getById<{ dial: string }[] | null>(id, 'upstreams');
    if (JSON.stringify((current ?? []).map((u) => ({ dial: u.dial }))) === want) continue;
    await admin.patchUpstreams(id, dials);
    written.push(id);
  }
  return written;
}
