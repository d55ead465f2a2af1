import { describe, expect, it } from 'vitest';
import { envOf, hostsByEnv, lastOctets, pickIndex, planSandbox } from '../../../src/sandbox/plan.ts';

describe('sandbox address plan', () => {
  it('places devN at .10+N, prodN at .20+N and the others from .31 in order', () => {
    expect(Object.fromEntries(lastOctets(['web', 'prod2', 'dev1', 'db', 'dev9', 'prod1']))).toEqual({
      dev1: 11,
      dev9: 19,
      prod1: 21,
      prod2: 22,
      web: 31,
      db: 32,
    });
  });

  it('gives dev10 and other multi-digit names the sequential range', () => {
    expect(lastOctets(['dev10', 'dev1']).get('dev10')).toBe(31);
  });

  it('derives environments from host names', () => {
    expect(['dev1', 'dev12', 'prod3', 'h1', 'developer'].map(envOf)).toEqual([
      'dev',
      'dev',
      'prod',
      'test',
      'test',
    ]);
  });

  it('takes the environment from env:name entries, addresses from the name alone, and refuses a bad env', () => {
    const plan = planSandbox('demo', 0, ['staging:web1', 'prod:dev1', 'h1']);
    expect(plan.hosts.map((h) => [h.name, h.env, h.address])).toEqual([
      ['web1', 'staging', '10.207.0.31'],
      ['dev1', 'prod', '10.207.0.11'],
      ['h1', 'test', '10.207.0.32'],
    ]);
    expect(() => planSandbox('demo', 0, ['Bad Env:web1'])).toThrow(
      /invalid environment "Bad Env" in "Bad Env:web1"/,
    );
    expect(() => planSandbox('demo', 0, ['dev:web1', 'prod:web1'])).toThrow('host "web1" is listed twice');
  });

  it('plans the demo instance on 10.207.0.0/24 with the registry on the gateway', () => {
    const plan = planSandbox('demo', 0, ['dev1', 'dev2', 'prod1', 'prod2']);
    expect(plan).toMatchObject({
      subnet: '10.207.0.0/24',
      gateway: '10.207.0.1',
      registry: '10.207.0.1:5000',
      bridge: 'slipway0',
    });
    expect(plan.hosts.map((h) => [h.name, h.env, h.address, h.netns, h.veth, h.cgroupParent])).toEqual([
      ['dev1', 'dev', '10.207.0.11', 'slipway-demo-dev1', 'slw0h11', '/slipway/demo/dev1'],
      ['dev2', 'dev', '10.207.0.12', 'slipway-demo-dev2', 'slw0h12', '/slipway/demo/dev2'],
      ['prod1', 'prod', '10.207.0.21', 'slipway-demo-prod1', 'slw0h21', '/slipway/demo/prod1'],
      ['prod2', 'prod', '10.207.0.22', 'slipway-demo-prod2', 'slw0h22', '/slipway/demo/prod2'],
    ]);
  });

  it('keeps interface names within 15 characters at the largest index and octet', () => {
    const plan = planSandbox('a-long-name-for-it', 254, [
      'dev1',
      ...Array.from({ length: 200 }, (_, i) => `h${i}`),
    ]);
    for (const name of [
      plan.bridge,
      ...plan.hosts.map((h) => h.veth),
      ...plan.hosts.map((h) => `${h.veth}p`),
    ]) {
      expect(name.length).toBeLessThanOrEqual(15);
    }
    expect(plan.hosts.at(-1)!.address).toBe('10.207.254.230');
  });

  it('does not collide across instances: the index is the third octet', () => {
    const a = planSandbox('demo', 0, ['h1']);
    const b = planSandbox('e2e', 1, ['h1']);
    expect(a.hosts[0]!.address).not.toBe(b.hosts[0]!.address);
    expect(a.hosts[0]!.veth).not.toBe(b.hosts[0]!.veth);
    expect(a.hosts[0]!.netns).not.toBe(b.hosts[0]!.netns);
    expect(a.bridge).not.toBe(b.bridge);
  });

  it('groups hosts by environment', () => {
    const plan = planSandbox('demo', 0, ['dev1', 'prod1', 'dev2']);
    expect([...hostsByEnv(plan)].map(([env, hs]) => [env, hs.map((h) => h.name)])).toEqual([
      ['dev', ['dev1', 'dev2']],
      ['prod', ['prod1']],
    ]);
  });

  it('rejects bad names, duplicates, empty lists and bad indexes', () => {
    expect(() => planSandbox('Demo', 0, ['h1'])).toThrow(/invalid sandbox name/);
    expect(() => planSandbox('demo', 0, ['h1', 'h1'])).toThrow(/listed twice/);
    expect(() => planSandbox('demo', 0, ['a;b'])).toThrow(/invalid host name/);
    expect(() => planSandbox('demo', 0, [])).toThrow(/at least one host/);
    expect(() => planSandbox('demo', 255, ['h1'])).toThrow(/out of range/);
  });

  it('picks the smallest free index above the demo', () => {
    expect(pickIndex(new Set())).toBe(1);
    expect(pickIndex(new Set([1, 2, 4]))).toBe(3);
  });
});
