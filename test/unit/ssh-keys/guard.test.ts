import { describe, expect, it } from 'vitest';
import { accountsFor } from '../../../src/ssh-keys/desired.ts';
import { guardRunnerKey } from '../../../src/ssh-keys/guard.ts';
import { ACCESS, KEYS, key } from '../../support/ssh-key-fixtures.ts';

describe('lock-out guard', () => {
  const accounts = () => accountsFor(ACCESS, KEYS, { name: 'web02', groups: ['all', 'web'] });
  const runner = { user: 'root', key: key('runner') };

  it('keeps the runner key for its user when access.yml does not list it', () => {
    const g = guardRunnerKey(accounts(), runner, false, 'web02');
    expect(g.kept).toBe(true);
    expect(g.rotating).toBe(false);
    expect(g.accounts[0]!.keys.map((k) => k.name)).toEqual(['alice', 'runner']);
    // Other users are not touched.
    expect(g.accounts[1]!.keys.map((k) => k.name)).toEqual(['alice', 'bob']);
  });

  it('changes nothing when the key is listed or its user is not managed', () => {
    expect(guardRunnerKey(accounts(), { user: 'root', key: key('alice') }, false, 'h')).toMatchObject({
      kept: false,
      rotating: false,
    });
    expect(guardRunnerKey(accounts(), { user: 'admin', key: key('runner') }, false, 'h').kept).toBe(false);
  });

  it('rotates only with a next key listed for the user', () => {
    expect(() => guardRunnerKey(accounts(), runner, true, 'web02')).toThrow(
      /set slipway_next_private_key_file/,
    );
    expect(() => guardRunnerKey(accounts(), { ...runner, next: key('bob') }, true, 'web02')).toThrow(
      /is not among the keys infra\/access.yml lists for root/,
    );
    const g = guardRunnerKey(accounts(), { ...runner, next: key('alice') }, true, 'web02');
    expect(g).toMatchObject({ kept: false, rotating: true });
    expect(g.accounts[0]!.keys.map((k) => k.name)).toEqual(['alice']);
  });
});
