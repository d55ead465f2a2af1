import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureReason, hostFailureReasons, requireEveryHost } from '../../../src/ansible/host-failures.ts';
import { runPlaybook } from '../../../src/ansible/runner.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-host-failures-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('why a host failed, inline', () => {
  it('takes the failing loop item of "All items completed", with its stderr', () => {
    const result = {
      msg: 'All items completed',
      results: [
        { item: 'a', changed: false },
        { item: 'b', failed: true, msg: 'non-zero return code', stderr: 'no such user' },
      ],
    };
    expect(failureReason({ result })).toBe('non-zero return code: no such user');
    expect(failureReason({ result: { msg: 'Permission denied (publickey).', unreachable: true } })).toBe(
      'Permission denied (publickey).',
    );
  });

  it('names the cause per host of a real run, keeps the reachable host, and leaves no temp dir behind', async () => {
    const inventory = join(work, 'hosts');
    // Port 1 on loopback refuses at once: a real unreachable host without waiting for a timeout.
    await writeFile(
      inventory,
      'here ansible_connection=local\ngone ansible_host=127.0.0.1 ansible_port=1 ansible_user=nobody\n',
    );
    const playbook = join(work, 'loop.yml');
    await writeFile(
      playbook,
      '- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.command: "true"\n      loop: [1, 2]\n',
    );
    const r = await runPlaybook({ playbook, inventory: [inventory], knownHosts: [] });
    expect(r.hosts).toEqual({ here: 'changed', gone: 'unreachable' });
    expect(hostFailureReasons(r).get('gone')).toMatch(/Connection refused/);
    expect(() => requireEveryHost('roles/x', r, ['here', 'gone'])).toThrow(
      /^roles\/x failed: gone \(unreachable: .*Connection refused.*\): /,
    );
    expect(() => requireEveryHost('roles/x', r, ['here', 'gone'])).not.toThrow(
      /artifacts|All items completed/,
    );
    expect(existsSync(r.artifactsDir)).toBe(false);
  });
});
