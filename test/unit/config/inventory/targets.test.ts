import { describe, expect, it } from 'vitest';
import { matchHosts, targetHosts } from '../../../../src/config/inventory/targets.ts';
import type { Inventory, InventoryHost } from '../../../../src/config/types.ts';

const host = (name: string, groups: string[]): InventoryHost => ({
  name,
  address: name,
  port: 22,
  vars: {},
  groups,
});

const inventory = (groups: [string, string[]][]): Inventory => ({
  environment: 'dev',
  dir: '/nonexistent',
  hosts: new Map([
    ['web1', host('web1', ['all', 'web'])],
    ['db1', host('db1', ['all', 'db'])],
  ]),
  groups: new Map(groups),
  ansibleList: {},
});

describe('the hosts a step targets', () => {
  it('reads a group, then a host name; `all` is every host even when the inventory lists no such group', () => {
    const resolved = inventory([
      ['all', ['web1', 'db1']],
      ['web', ['web1']],
      ['empty', []],
    ]);
    expect(matchHosts(resolved, 'web')?.map((h) => h.name)).toEqual(['web1']);
    expect(matchHosts(resolved, 'db1')?.map((h) => h.name)).toEqual(['db1']);
    expect(matchHosts(resolved, 'empty')).toEqual([]);
    expect(matchHosts(resolved, 'nope')).toBeUndefined();
    expect(matchHosts(inventory([]), 'all')?.map((h) => h.name)).toEqual(['web1', 'db1']);
  });

  it('says what is missing when a step has no such hosts', () => {
    expect(() => targetHosts('deploy', undefined, 'web')).toThrow(
      'the deploy step needs a job with an environment (its inventory lists the hosts)',
    );
    expect(() => targetHosts('caddy', inventory([]), 'edge')).toThrow(
      'hosts "edge" is neither a group nor a host of inventory dev',
    );
  });
});
