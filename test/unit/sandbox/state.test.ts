import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  readState,
  type SandboxState,
  takenIndexes,
  withLock,
  writeState,
} from '../../../src/sandbox/state.ts';

const dir = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sandbox state', () => {
  it('writes the state file 0600 and reads it back; no file means no state', () => {
    const file = join(dir, 'a', 'state.json');
    const state: SandboxState = { version: 1, name: 'a', index: 3, hosts: ['h1'], procs: { h1: {} } };
    expect(readState(file)).toBeUndefined();
    writeState(file, state);
    expect(readState(file)).toEqual(state);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('lists the indexes other instances of the repository hold', () => {
    writeState(join(dir, 'b', 'state.json'), { version: 1, name: 'b', index: 7, hosts: [], procs: {} });
    expect(takenIndexes(dir, 'a')).toEqual(new Set([7]));
  });

  it('makes a second process wait until the holder releases the lock', async () => {
    const lock = join(dir, 'x.lock');
    const stateTs = new URL('../../../src/sandbox/state.ts', import.meta.url).pathname;
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { withLock } from ${JSON.stringify(stateTs)};
         await withLock(${JSON.stringify(lock)}, async () => {
           process.stdout.write('held\\n');
           await new Promise((r) => setTimeout(r, 500));
           process.stdout.write('released\\n');
         });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    holder.stdout.on('data', (d) => {
      out += String(d);
    });
    const exited = once(holder, 'exit');
    while (!out.includes('held')) await new Promise((r) => setTimeout(r, 20));
    const seen = await withLock(lock, async () => out);
    expect(seen).toContain('released');
    await exited;
  });

  it('refuses a second holder in the same process and frees the lock after a failure', async () => {
    const lock = join(dir, 'y.lock');
    const failing = withLock(lock, async () => {
      await new Promise((r) => setTimeout(r, 100));
      throw new Error('boom');
    });
    await expect(withLock(lock, async () => 'x')).rejects.toThrow(/already held by this process/);
    await expect(failing).rejects.toThrow('boom');
    expect(await withLock(lock, async () => 'free again')).toBe('free again');
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const lock = join(dir, 'stale.lock');
    writeFileSync(lock, '999999999\n');
    expect(await withLock(lock, async () => readFileSync(lock, 'utf8').trim())).toBe(String(process.pid));
  });
});
