import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnsibleEvent } from '../../src/ansible/events.ts';
import { type PlaybookOptions, runPlaybook } from '../../src/ansible/runner.ts';
import { type SandboxFixture, useSandbox } from '../support/sandbox.ts';

// Real ansible-playbook (core 2.14) against three sandbox hosts, through the wrapper.
const INSTANCE = 'remote';
const NAMES = ['h1', 'h2', 'h3'];
const TARGET = '/tmp/slipway-ansible-e2e.txt';
let sb: SandboxFixture;
let work: string;
let dataDirs = 0;

const WRITE_PLAYBOOK = `
- name: write a file
  hosts: all
  gather_facts: false
  tasks:
    - name: the file
      ansible.builtin.copy:
        dest: ${TARGET}
        content: "{{ content }}\\n"
        mode: "0644"
    - name: never runs
      ansible.builtin.debug: { msg: skipped }
      when: false
`;

const HANG_PLAYBOOK = (marker: string) => `
- name: hang
  hosts: h1
  gather_facts: false
  tasks:
    - name: sleep forever
      ansible.builtin.command: sleep ${marker}
`;

function options(playbook: string, extra: Partial<PlaybookOptions> = {}): PlaybookOptions {
  return {
    playbook: join(work, playbook),
    inventory: [join(sb.inventoriesRoot, 'test')],
    knownHosts: [sb.knownHosts],
    dataDir: join(work, `run-${dataDirs++}`),
    timeoutMs: 180_000,
    ...extra,
  };
}

async function fileOn(host: string): Promise<string> {
  return (await sb.exec(host, ['sh', '-c', `cat ${TARGET} 2>/dev/null || echo MISSING`])).trim();
}

/** Processes of this machine whose command line mentions `needle`. */
async function processesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) found.push(`${pid}: ${cmdline.replaceAll('\0', ' ')}`);
  }
  return found;
}

/** The module's remote process outlives its ssh session: end it by pid on the host. */
async function endRemoteSleep(marker: string): Promise<void> {
  await sb.exec('h1', [
    'sh',
    '-c',
    'for p in $(pgrep -fx "sleep $1"); do kill "$p"; done; true',
    'sh',
    marker,
  ]);
}

beforeAll(async () => {
  sb = await useSandbox({ name: INSTANCE, hosts: NAMES });
  work = await mkdtemp(join(tmpdir(), 'slipway-ansible-e2e-'));
  await writeFile(join(work, 'write.yml'), WRITE_PLAYBOOK);
  for (const h of NAMES) await sb.exec(h, ['rm', '-f', TARGET]);
});

afterAll(async () => {
  for (const h of NAMES) {
    await sb?.startSshd(h);
    await sb?.exec(h, ['rm', '-f', TARGET]);
  }
  await rm(work, { recursive: true, force: true });
});

describe('ansible-playbook through the wrapper', () => {
  it('check mode reports the diff per host and changes nothing', async () => {
    const streamed: AnsibleEvent[] = [];
    const r = await runPlaybook(
      options('write.yml', {
        check: true,
        diff: true,
        extraVars: { content: 'v1' },
        onEvent: (e) => streamed.push(e),
      }),
    );
    expect(r.errors).toEqual([]);
    expect(r.status).toBe('successful');
    expect(r.rc).toBe(0);
    expect(streamed).toEqual(r.events);
    expect(r.events[0]).toMatchObject({ event: 'playbook_start', check: true, diff: true });
    expect(r.events.map((e) => e.event)).toContain('task_start');
    expect(r.hosts).toEqual({ h1: 'changed', h2: 'changed', h3: 'changed' });
    const copies = r.events.filter((e) => e.event === 'host_ok' && e.action === 'ansible.builtin.copy');
    expect(copies).toHaveLength(3);
    for (const e of copies) {
      expect(e.event === 'host_ok' && e.changed).toBe(true);
      expect(e.event === 'host_ok' && e.diff[0]).toMatchObject({ before: '', after: 'v1\n' });
    }
    for (const h of NAMES) expect(await fileOn(h)).toBe('MISSING');
  });

  it('apply changes the file; events, stats and artifacts say so; a second apply changes nothing', async () => {
    const r = await runPlaybook(options('write.yml', { extraVars: { content: 'v1' } }));
    expect(r.status).toBe('successful');
    expect(r.hosts).toEqual({ h1: 'changed', h2: 'changed', h3: 'changed' });
    expect(r.stats).toMatchObject({
      processed: NAMES,
      changed: { h1: 1, h2: 1, h3: 1 },
      skipped: { h1: 1, h2: 1, h3: 1 },
      failures: {},
      dark: {},
    });
    for (const h of NAMES) expect(await fileOn(h)).toBe('v1');
    expect((await readFile(join(r.artifactsDir, 'rc'), 'utf8')).trim()).toBe('0');
    expect((await readFile(join(r.artifactsDir, 'status'), 'utf8')).trim()).toBe('successful');
    expect(await readFile(join(r.artifactsDir, 'stdout'), 'utf8')).toMatch(/PLAY RECAP/);
    const lines = (await readFile(join(r.artifactsDir, 'events.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(r.events.length);
    // The private inputs (key, extravars, ssh config) are gone once the run is over.
    expect(existsSync(join(r.artifactsDir, '..', 'env'))).toBe(false);

    const again = await runPlaybook(options('write.yml', { extraVars: { content: 'v1' } }));
    expect(again.hosts).toEqual({ h1: 'ok', h2: 'ok', h3: 'ok' });
  });

  it('reports an unreachable host (dark) while the others apply', async () => {
    await sb.stopSshd('h3');
    try {
      const r = await runPlaybook(options('write.yml', { extraVars: { content: 'v2' } }));
      expect(r.status).toBe('failed');
      expect(r.rc).toBe(4);
      expect(r.rcMeaning).toMatch(/unreachable/);
      expect(r.hosts).toEqual({ h1: 'changed', h2: 'changed', h3: 'unreachable' });
      expect(r.stats?.dark).toEqual({ h3: 1 });
      const unreachable = r.events.find((e) => e.event === 'host_unreachable');
      expect(unreachable).toMatchObject({ host: 'h3' });
    } finally {
      await sb.startSshd('h3');
    }
    expect(await fileOn('h1')).toBe('v2');
    expect(await fileOn('h3')).toBe('v1');
  });

  it('kills a hanging task at the timeout: whole process group, no ssh left behind', async () => {
    const marker = `3600.${process.pid}`;
    await writeFile(join(work, 'hang.yml'), HANG_PLAYBOOK(marker));
    const opts = options('hang.yml', { timeoutMs: 8000, killGraceMs: 2000 });
    try {
      const r = await runPlaybook(opts);
      expect(r.status).toBe('timeout');
      expect(r.events.some((e) => e.event === 'task_start' && e.task === 'sleep forever')).toBe(true);
      expect((await readFile(join(r.artifactsDir, 'status'), 'utf8')).trim()).toBe('timeout');
      expect(existsSync(join(r.artifactsDir, 'rc'))).toBe(true);
      expect(await processesMentioning(opts.dataDir!)).toEqual([]);
    } finally {
      await endRemoteSleep(marker);
    }
  });

  it('cancels on abort: status canceled, artifacts complete, no process left', async () => {
    const marker = `3601.${process.pid}`;
    await writeFile(join(work, 'hang2.yml'), HANG_PLAYBOOK(marker));
    const ac = new AbortController();
    const opts = options('hang2.yml', {
      signal: ac.signal,
      killGraceMs: 2000,
      onEvent: (e) => {
        if (e.event === 'task_start') setTimeout(() => ac.abort(new Error('operator canceled')), 1000);
      },
    });
    try {
      const r = await runPlaybook(opts);
      expect(r.status).toBe('canceled');
      expect((await readFile(join(r.artifactsDir, 'status'), 'utf8')).trim()).toBe('canceled');
      expect(existsSync(join(r.artifactsDir, 'rc'))).toBe(true);
      expect(await processesMentioning(opts.dataDir!)).toEqual([]);
    } finally {
      await endRemoteSleep(marker);
    }
  });
});
