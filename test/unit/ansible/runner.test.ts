import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlaybook } from '../../../src/ansible/runner.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-runner-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('runPlaybook on the runner itself (connection local)', () => {
  it('streams events and removes its temp data dir after a successful run', async () => {
    const playbook = join(work, 'local.yml');
    await writeFile(
      playbook,
      '- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n    - ansible.builtin.command: "true"\n',
    );
    const r = await runPlaybook({ playbook, inventory: ['localhost,'], knownHosts: [] });
    expect(r.errors).toEqual([]);
    expect(r.status).toBe('successful');
    expect(r.hosts).toEqual({ localhost: 'changed' });
    expect(r.events.map((e) => e.event)).toEqual([
      'playbook_start',
      'play_start',
      'task_start',
      'host_ok',
      'stats',
    ]);
    expect(existsSync(r.artifactsDir)).toBe(false);
  });
});

describe('runPlaybook when ansible-playbook cannot start', () => {
  it('still ends artifacts/ with rc and status, and says why', async () => {
    const r = await runPlaybook({
      playbook: 'site.yml',
      inventory: ['hosts.yml'],
      knownHosts: [],
      cwd: join(work, 'no-such-dir'),
      dataDir: join(work, 'data'),
    });
    expect(r.status).toBe('failed');
    expect(r.rc).toBe(-1);
    expect(r.rcMeaning).toBe('did not start');
    expect(r.errors.join('\n')).toMatch(/did not start/);
    expect(await readFile(join(r.artifactsDir, 'rc'), 'utf8')).toBe('-1\n');
    expect(await readFile(join(r.artifactsDir, 'status'), 'utf8')).toBe('failed\n');
  });

  it('reports canceled without starting when the signal is already aborted', async () => {
    const r = await runPlaybook({
      playbook: 'site.yml',
      inventory: ['hosts.yml'],
      knownHosts: [],
      dataDir: join(work, 'data2'),
      signal: AbortSignal.abort(),
    });
    expect(r.status).toBe('canceled');
    expect(await readFile(join(r.artifactsDir, 'status'), 'utf8')).toBe('canceled\n');
  });
});
