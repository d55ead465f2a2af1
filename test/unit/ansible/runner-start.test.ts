import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
