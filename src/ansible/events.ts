import { z } from 'zod';

const counts = z.record(z.string(), z.number());
const hostBase = {
  host: z.string(),
  task: z.string(),
  action: z.string(),
  uuid: z.string(),
  /** `result.changed`: Ansible has no separate "changed" event. */
  changed: z.boolean(),
  result: z.record(z.string(), z.unknown()),
  /** `--diff` output: `{ before, after, before_header?, after_header?, prepared? }` items. */
  diff: z.array(z.record(z.string(), z.unknown())),
};

/** Schema of one line written by src/ansible/callback/slipway_events.py. */
export const ansibleEventSchema = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('playbook_start'),
    playbook: z.string(),
    check: z.boolean(),
    diff: z.boolean(),
  }),
  z.object({ event: z.literal('play_start'), play: z.string(), pattern: z.unknown() }),
  z.object({
    event: z.literal('task_start'),
    play: z.string().nullable(),
    task: z.string(),
    action: z.string(),
    uuid: z.string(),
    handler: z.boolean(),
  }),
  z.object({ event: z.literal('host_ok'), ...hostBase }),
  z.object({ event: z.literal('host_failed'), ...hostBase, ignore_errors: z.boolean() }),
  z.object({ event: z.literal('host_skipped'), ...hostBase }),
  z.object({ event: z.literal('host_unreachable'), ...hostBase }),
  z.object({
    event: z.literal('stats'),
    processed: z.array(z.string()),
    ok: counts,
    changed: counts,
    failures: counts,
    /** Unreachable hosts. */
    dark: counts,
    skipped: counts,
    rescued: counts,
    ignored: counts,
  }),
]);

/** A typed playbook event. */
export type AnsibleEvent = z.infer<typeof ansibleEventSchema>;
/** A per-host task result event. */
export type HostEvent = Extract<AnsibleEvent, { host: string }>;
/** The final per-category counts (`dark` = unreachable). */
export type PlaybookStats = Extract<AnsibleEvent, { event: 'stats' }>;

/** Parses one JSON line of the callback; throws with the line's start when it is not a known event. */
export function parseEventLine(line: string): AnsibleEvent {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new Error(`ansible event is not JSON: ${line.slice(0, 120)}`);
  }
  const parsed = ansibleEventSchema.safeParse(json);
  if (!parsed.success) throw new Error(`unknown ansible event: ${line.slice(0, 120)}`);
  return parsed.data;
}

/** How a host fared over a whole playbook. */
export type HostOutcome = 'ok' | 'changed' | 'failed' | 'unreachable' | 'skipped';

/**
 * Per-host outcome from the events (exit codes only say "some host failed"): unreachable beats
 * failed beats changed beats ok beats skipped; ignored failures do not count.
 */
export function hostOutcomes(events: readonly AnsibleEvent[]): Record<string, HostOutcome> {
  const rank: Record<HostOutcome, number> = { skipped: 0, ok: 1, changed: 2, failed: 3, unreachable: 4 };
  const out: Record<string, HostOutcome> = {};
  const raise = (host: string, o: HostOutcome) => {
    const cur = out[host];
    if (cur === undefined || rank[o] > rank[cur]) out[host] = o;
  };
  for (const e of events) {
    if (e.event === 'host_unreachable') raise(e.host, 'unreachable');
    else if (e.event === 'host_failed')
      raise(e.host, e.ignore_errors ? (e.changed ? 'changed' : 'ok') : 'failed');
    else if (e.event === 'host_ok') raise(e.host, e.changed ? 'changed' : 'ok');
    else if (e.event === 'host_skipped') raise(e.host, 'skipped');
  }
  return out;
}
