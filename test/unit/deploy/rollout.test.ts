import { describe, expect, it } from 'vitest';
import type { HostStatus } from '../../../src/core/changes.ts';
import { HostDeployError } from '../../../src/deploy/host-deploy.ts';
import { rollOut } from '../../../src/deploy/rollout.ts';
import { TransportError } from '../../../src/remote/transport.ts';

type Host = { name: string };
const hosts = (...names: string[]): Host[] => names.map((name) => ({ name }));

// A rollout whose per-host release is `release`; records every status and log line in order.
function harness(
  release: (h: Host) => Promise<string>,
  upToDate: (h: Host) => string | undefined = () => undefined,
) {
  const statuses: [string, HostStatus, string?][] = [];
  const log: string[] = [];
  const started: string[] = [];
  const run = (list: Host[], batch: number | string, parallel = 4) =>
    rollOut({
      hosts: list,
      upToDate,
      batch,
      parallel,
      release: (h) => {
        started.push(h.name);
        return release(h);
      },
      status: (host, status, detail) =>
        statuses.push(detail === undefined ? [host, status] : [host, status, detail]),
      log: (l) => log.push(l),
      signal: new AbortController().signal,
    });
  return { run, statuses, log, started };
}

describe('rollOut', () => {
  it('releases batch after batch and reports each host pending, running, then changed', async () => {
    const h = harness(async (host) => `rel-${host.name}`);
    const result = await h.run(hosts('a', 'b', 'c'), 2);
    expect(result).toEqual({ changed: true, hosts: { a: 'changed', b: 'changed', c: 'changed' } });
    expect(h.log).toEqual(['batch 1/2: a, b', 'batch 2/2: c']);
    expect(h.statuses.filter(([host]) => host === 'c')).toEqual([
      ['c', 'pending'],
      ['c', 'running'],
      ['c', 'changed', 'release rel-c'],
    ]);
  });

  it('leaves up-to-date hosts out of the batches as ok, and changes nothing when every host is', async () => {
    const h = harness(
      async () => 'r',
      (host) => (host.name === 'b' ? undefined : 'already runs reg/web@sha256:1'),
    );
    expect(await h.run(hosts('a', 'b'), 1)).toEqual({ changed: true, hosts: { a: 'ok', b: 'changed' } });
    expect(h.statuses[0]).toEqual(['a', 'ok', 'already runs reg/web@sha256:1']);
    expect(h.started).toEqual(['b']);
    const none = harness(
      async () => 'r',
      () => 'already runs it',
    );
    expect(await none.run(hosts('a'), 1)).toEqual({ changed: false, hosts: { a: 'ok' } });
    expect(none.log).toEqual([]);
  });

  it('finishes the batch a host failed in, skips the later batches and names each failure', async () => {
    const h = harness(async (host) => {
      if (host.name === 'b') throw new HostDeployError('b', 'health check answered 404', true);
      if (host.name === 'c') throw new HostDeployError('c', 'compose up failed', false);
      return 'r';
    });
    await expect(h.run(hosts('a', 'b', 'c', 'd', 'e'), 3)).rejects.toThrow(
      'deploy stopped: b: health check answered 404; c: compose up failed',
    );
    expect(h.started).toEqual(['a', 'b', 'c']);
    const final = Object.fromEntries(h.statuses.map(([host, status]) => [host, status]));
    expect(final).toEqual({ a: 'changed', b: 'rolled-back', c: 'failed', d: 'skipped', e: 'skipped' });
    expect(h.statuses).toContainEqual(['d', 'skipped', 'rollout stopped']);
  });

  it('calls a host unreachable when its transport failed, whether or not the error was wrapped', async () => {
    const lost = () => new TransportError('b', 'ssh: connect to host b port 22: No route to host');
    const h = harness(async (host) => {
      if (host.name === 'a') throw new HostDeployError('a', 'connection lost', false, { cause: lost() });
      if (host.name === 'b') throw lost();
      return 'r';
    });
    await expect(h.run(hosts('a', 'b'), 2)).rejects.toThrow(/deploy stopped: a: connection lost; b: /);
    const final = Object.fromEntries(h.statuses.map(([host, status]) => [host, status]));
    expect(final).toEqual({ a: 'unreachable', b: 'unreachable' });
  });

  it('releases at most `parallel` hosts of a batch at once', async () => {
    let running = 0;
    let most = 0;
    const h = harness(async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      return 'r';
    });
    await h.run(hosts('a', 'b', 'c', 'd'), '100%', 2);
    expect(most).toBe(2);
    expect(h.log).toEqual(['batch 1/1: a, b, c, d']);
  });
});
