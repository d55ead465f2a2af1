import { describe, expect, it } from 'vitest';
import { releaseCommandHosts } from '../../../src/deploy/release-command.ts';

describe('releaseCommandHosts', () => {
  const todo = ['web1', 'web2', 'web3'];
  const command = ['bin/migrate'];

  it('runs once per environment, on the first host to get the release, when the data is elsewhere', () => {
    expect([...releaseCommandHosts({ command, rollback: false, perHost: false }, todo)]).toEqual(['web1']);
  });

  it("runs on each host when each host's own stateful services hold the data", () => {
    expect([...releaseCommandHosts({ command, rollback: false, perHost: true }, todo)]).toEqual(todo);
  });

  it('runs nowhere without a command, on a rollback, or when no host needs the release', () => {
    expect(releaseCommandHosts({ rollback: false, perHost: false }, todo).size).toBe(0);
    expect(releaseCommandHosts({ command, rollback: true, perHost: true }, todo).size).toBe(0);
    expect(releaseCommandHosts({ command, rollback: false, perHost: false }, []).size).toBe(0);
  });
});
