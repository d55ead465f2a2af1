import type { PlaybookResult } from './runner.ts';

/**
 * Throws, naming each host that failed, was unreachable or got no result, when a playbook run did
 * not succeed on every one of `hosts`; `label` names what ran (e.g. `roles/ssh_keys`).
 */
export function requireEveryHost(label: string, result: PlaybookResult, hosts: readonly string[]): void {
  const bad = hosts.filter((h) => {
    const o = result.hosts[h];
    return o === undefined || o === 'failed' || o === 'unreachable';
  });
  if (result.status === 'successful' && bad.length === 0) return;
  const who = bad.map((h) => `${h} (${result.hosts[h] ?? 'no result'})`).join(', ');
  const why = [result.rcMeaning, ...result.errors].filter(Boolean).join('; ');
  throw new Error(
    `${label} ${result.status}: ${who || 'see artifacts'}: ${why} (artifacts: ${result.artifactsDir})`,
  );
}
