import { describe, expect, it } from 'vitest';
import type { InventoryHost } from '../../../src/config/types.ts';
import { TransportPool } from '../../../src/remote/pool.ts';

const local = (name: string, vars: Record<string, unknown> = {}): InventoryHost => ({
  name,
  address: name,
  port: 22,
  vars: { ansible_connection: 'local', ...vars },
  groups: ['all'],
});

describe('TransportPool', () => {
  it('gives every step of a run the same connection to a host, and runs commands through it', async () => {
    const pool = new TransportPool({ root: process.cwd() });
    try {
      const t = pool.get(local('web1'));
      expect(pool.get(local('web1'))).toBe(t);
      expect((await t.exec(['echo', 'hi'])).stdout).toBe('hi\n');
    } finally {
      await pool.closeAll();
    }
  });

  it('keeps apart two environments whose inventories reuse a host name for another machine', async () => {
    const pool = new TransportPool({ root: process.cwd() });
    try {
      const dev = pool.get(local('web1', { env: 'dev' }));
      const prod = pool.get(local('web1', { env: 'prod' }));
      expect(prod).not.toBe(dev);
      expect(pool.get({ ...local('web1'), address: '10.0.0.9' })).not.toBe(pool.get(local('web1')));
    } finally {
      await pool.closeAll();
    }
  });

  it('opens a new connection after closeAll (a resumed run)', async () => {
    const pool = new TransportPool({ root: process.cwd() });
    const before = pool.get(local('web1'));
    await pool.closeAll();
    expect(pool.get(local('web1'))).not.toBe(before);
    await pool.closeAll();
  });
});
