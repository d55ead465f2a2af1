import { describe, expect, it } from 'vitest';
import { AggregateHostError, allOk, forEachHost } from '../../../src/remote/fanout.ts';
import { TransportError } from '../../../src/remote/transport.ts';

const hosts = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name }));

describe('forEachHost', () => {
  it('never runs more than `parallel` hosts at once and keeps input order', async () => {
    let running = 0;
    let peak = 0;
    const outcomes = await forEachHost(hosts, 2, async (h) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, h.name === 'a' ? 30 : 5));
      running--;
      return h.name.toUpperCase();
    });
    expect(peak).toBe(2);
    expect(outcomes.map((o) => (o.ok ? o.value : o.error))).toEqual(['A', 'B', 'C', 'D', 'E']);
  });

  it('lets the other hosts finish when one fails, and names every failed host and why', async () => {
    const done: string[] = [];
    const outcomes = await forEachHost(hosts, 3, async (h) => {
      if (h.name === 'b') throw new TransportError('b', 'Connection refused');
      if (h.name === 'd') throw new Error('docker pull failed\nmore detail');
      done.push(h.name);
      return h.name;
    });
    expect(done.sort()).toEqual(['a', 'c', 'e']);
    const err = (() => {
      try {
        allOk(outcomes);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AggregateHostError);
    expect((err as Error).message).toBe('2 hosts failed:\n  b: Connection refused\n  d: docker pull failed');
    expect((err as AggregateHostError).failures.map((f) => f.host)).toEqual(['b', 'd']);
  });

  it('returns values by host when all succeed', async () => {
    const values = allOk(await forEachHost(hosts.slice(0, 2), 8, async (h) => h.name.length));
    expect([...values]).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('does not start hosts after abort', async () => {
    const ac = new AbortController();
    const started: string[] = [];
    const outcomes = await forEachHost(
      hosts,
      1,
      async (h) => {
        started.push(h.name);
        if (h.name === 'b') ac.abort(new Error('canceled'));
      },
      { signal: ac.signal },
    );
    expect(started).toEqual(['a', 'b']);
    expect(outcomes.filter((o) => !o.ok).map((o) => o.host)).toEqual(['c', 'd', 'e']);
  });

  it('rejects a bad --parallel', async () => {
    await expect(forEachHost(hosts, 0, async () => 1)).rejects.toThrow(/--parallel/);
  });
});
