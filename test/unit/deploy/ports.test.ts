// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files name variables as ${VAR}
import { describe, expect, it } from 'vitest';
import { allocatePorts, parseListeningPorts } from '../../../src/deploy/ports.ts';

describe('ports', () => {
  it('reads listening ports from ss output', () => {
    const out =
      'LISTEN 0 4096 127.0.0.1:20001 0.0.0.0:*\nLISTEN 0 128 [::]:22 [::]:*\nLISTEN 0 4096 *:80 *:*\n';
    expect([...parseListeningPorts(out)].sort((a, b) => a - b)).toEqual([22, 80, 20001]);
  });

  it('gives a new service a free pair and the first slot', () => {
    const a = allocatePorts({
      services: ['web', 'api'],
      existing: {},
      listening: new Set([20000, 20002]),
      reserved: new Set([20003]),
    });
    expect(a.pairs).toEqual({ web: [20001, 20004], api: [20005, 20006] });
    expect(a.ports).toEqual({ web: 20001, api: 20005 });
  });

  it('alternates between the two stable ports of a pair across releases', () => {
    const existing = { web: [20001, 20004] as [number, number] };
    const second = allocatePorts({
      services: ['web'],
      existing,
      live: { web: 20001 },
      listening: new Set([20001]),
      reserved: new Set(),
    });
    expect(second.ports.web).toBe(20004);
    expect(second.pairs).toEqual(existing);
    const third = allocatePorts({
      services: ['web'],
      existing,
      live: { web: 20004 },
      listening: new Set([20004]),
      reserved: new Set(),
    });
    expect(third.ports.web).toBe(20001);
  });

  it('moves a slot that someone else took', () => {
    const a = allocatePorts({
      services: ['web'],
      existing: { web: [20001, 20004] },
      live: { web: 20001 },
      listening: new Set([20001, 20004]),
      reserved: new Set(),
    });
    expect(a.ports.web).toBe(20000);
    expect(a.pairs.web).toEqual([20001, 20000]);
  });
});
