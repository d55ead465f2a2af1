import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { currentMachine, installCommand, preflight, which } from '../../../src/sandbox/preflight.ts';

// A search path holding only some of the real programs of this machine.
const partial = mkdtempSync(join(tmpdir(), 'preflight-'));
for (const p of [
  'ip',
  'iptables',
  'nsenter',
  'unshare',
  'mount',
  'ssh',
  'ssh-keygen',
  'docker',
  'openssl',
  'ldd',
]) {
  const real = which(p);
  if (real) symlinkSync(real, join(partial, p));
}
afterAll(() => rmSync(partial, { recursive: true, force: true }));

describe('sandbox preflight', () => {
  it('passes on this machine (root, Linux, every package installed)', async () => {
    expect(await preflight()).toEqual([]);
  });

  it('names each missing program and the exact apt-get command for its packages', async () => {
    const problems = await preflight({ ...currentMachine(), searchPath: [partial] });
    expect(problems).toEqual([
      'missing: sshd, dockerd, docker-registry, htpasswd. Install with: ' +
        'apt-get update && apt-get install -y apache2-utils docker-registry docker.io openssh-server',
    ]);
  });

  it('wants a statically linked busybox', async () => {
    const problems = await preflight({ ...currentMachine(), busybox: which('ls')! });
    expect(problems).toEqual([
      'missing: static busybox. Install with: apt-get update && apt-get install -y busybox-static',
    ]);
  });

  it('refuses to run as another user than root, and anywhere but Linux', async () => {
    expect(await preflight({ ...currentMachine(), uid: 1000 })).toEqual([
      expect.stringMatching(/must run as root/),
    ]);
    expect(await preflight({ ...currentMachine(), platform: 'darwin' })).toEqual([
      expect.stringMatching(/needs Linux.*darwin/),
    ]);
  });

  it('sorts and deduplicates packages in the install command', () => {
    expect(installCommand(['util-linux', 'iproute2', 'util-linux'])).toBe(
      'apt-get update && apt-get install -y iproute2 util-linux',
    );
  });
});
