import type { HostEvent } from './events.ts';
import type { PlaybookResult } from './runner.ts';

type Item = { msg?: unknown; failed?: unknown; unreachable?: unknown; stderr?: unknown };

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/**
 * Why a host failed or was unreachable, from its event: the task's message, or the first failing loop
 * item's (a loop's own message is only "All items completed"), with its stderr when it has one.
 */
export function failureReason(e: Pick<HostEvent, 'result'>): string {
  const r = e.result as Item & { results?: unknown };
  const items = Array.isArray(r.results) ? (r.results as Item[]) : [];
  const bad = items.find((i) => i.unreachable === true || i.failed === true);
  const source: Item = bad ?? r;
  const msg = text(source.msg);
  const stderr = text(source.stderr);
  const parts = [msg, stderr && !msg.includes(stderr) ? stderr : ''].filter(Boolean);
  return parts.join(': ') || JSON.stringify(e.result).slice(0, 500);
}

/** The reason of each host's last failure or unreachability in a run. */
export function hostFailureReasons(result: Pick<PlaybookResult, 'events'>): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of result.events) {
    if ((e.event === 'host_failed' && !e.ignore_errors) || e.event === 'host_unreachable')
      out.set(e.host, failureReason(e));
  }
  return out;
}

/** The hosts of `hosts` a run did not succeed on (failed, unreachable or no result). */
export function badHosts(result: PlaybookResult, hosts: readonly string[]): string[] {
  return hosts.filter((h) => {
    const o = result.hosts[h];
    return o === undefined || o === 'failed' || o === 'unreachable';
  });
}

/** `host (unreachable: Permission denied (publickey))`: a host's outcome with its cause. */
export function describeBadHost(result: PlaybookResult, host: string): string {
  const why = hostFailureReasons(result).get(host);
  return `${host} (${result.hosts[host] ?? 'no result'}${why ? `: ${why}` : ''})`;
}

/** The hosts a run failed on or could not reach, by name (hosts no play targeted are not among them). */
export function failedHosts(result: PlaybookResult): string[] {
  return Object.keys(result.hosts)
    .filter((h) => result.hosts[h] === 'failed' || result.hosts[h] === 'unreachable')
    .sort();
}

/** Why a run did not succeed: `label` (what ran), its status, the `bad` hosts with their causes, rc and errors. */
export function runFailure(label: string, result: PlaybookResult, bad: readonly string[]): Error {
  const who = bad.map((h) => describeBadHost(result, h)).join(', ');
  const why = [result.rcMeaning, ...result.errors].filter(Boolean).join('; ');
  return new Error(`${label} ${result.status}: ${who || 'no host failed'}: ${why}`);
}

/**
 * Throws, naming each host that failed, was unreachable or got no result and why, when a playbook run
 * did not succeed on every one of `hosts`; `label` names what ran (e.g. `roles/ssh_keys`).
 */
export function requireEveryHost(label: string, result: PlaybookResult, hosts: readonly string[]): void {
  const bad = badHosts(result, hosts);
  if (result.status === 'successful' && bad.length === 0) return;
  throw runFailure(label, result, bad);
}
