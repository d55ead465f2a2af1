import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInventory } from '../../src/config/inventory/resolve.ts';
import type { InventoryHost } from '../../src/config/types.ts';
import { AggregateHostError, allOk, forEachHost } from '../../src/remote/fanout.ts';
import { sshTargetOf } from '../../src/remote/from-inventory.ts';
import { TransportPool } from '../../src/remote/pool.ts';
import { SshTransport } from '../../src/remote/ssh-transport.ts';
import { execOk, TransportError, TransportTimeoutError } from '../../src/remote/transport.ts';
import { HOSTILE, PWNED_MARKER } from '../support/hostile-argv.ts';
import { REPO_ROOT, type SandboxFixture, useSandbox } from '../support/sandbox.ts';

// Three sandbox hosts (own network namespace, sshd, dockerd), reached through their inventory.
const INSTANCE = 'remote';
const NAMES = ['h1', 'h2', 'h3'];
const UPLOAD = '/tmp/slipway e2e upload.txt';
let sb: SandboxFixture;
let hosts: InventoryHost[];
let work: string;

async function onHost(host: string, script: string): Promise<string> {
  return (await sb.exec(host, ['sh', '-c', script])).trim();
}

beforeAll(async () => {
  sb = await useSandbox({ name: INSTANCE, hosts: NAMES });
  const inventory = await resolveInventory(join(sb.inventoriesRoot, 'test'), 'test');
  hosts = NAMES.map((n) => inventory.hosts.get(n)!);
  work = await mkdtemp(join(tmpdir(), 'slipway-remote-e2e-'));
});

afterAll(async () => {
  for (const h of NAMES) {
    await sb?.startSshd(h);
    await sb?.exec(h, ['rm', '-f', UPLOAD, PWNED_MARKER]);
  }
  await rm(work, { recursive: true, force: true });
});

describe('SSH transport on sandbox hosts', () => {
  it('runs commands and uploads files on 3 hosts over one pooled connection each', async () => {
    const pool = new TransportPool({ root: REPO_ROOT });
    try {
      const outcomes = await forEachHost(hosts, 3, async (h) => {
        const t = pool.get(h);
        await t.upload(`hello ${h.name}\n`, UPLOAD, { mode: 0o640, owner: 'nobody', group: 'nogroup' });
        return (await execOk(t, ['hostname'])).stdout.trim();
      });
      expect([...allOk(outcomes).values()]).toEqual(NAMES);
      expect(pool.get(hosts[0]!)).toBe(pool.get(hosts[0]!));
    } finally {
      await pool.closeAll();
    }
    for (const h of NAMES) {
      // Checked from inside the host, not through the transport under test.
      expect((await sb.exec(h, ['cat', UPLOAD])).trim()).toBe(`hello ${h}`);
      const size = `hello ${h}\n`.length;
      expect(await onHost(h, `stat -c '%a %U %G %s' "/tmp/slipway e2e upload.txt"`)).toBe(
        `640 nobody nogroup ${size}`,
      );
    }
  });

  it('round-trips hostile argv byte-exact on every host, nothing interpreted', async () => {
    const pool = new TransportPool({ root: REPO_ROOT });
    try {
      const outcomes = await forEachHost(hosts, 3, async (h) => {
        const r = await execOk(pool.get(h), ['sh', '-c', `printf '%s\\0' "$@"`, 'sh', ...HOSTILE]);
        return r.stdout;
      });
      for (const out of allOk(outcomes).values()) expect(out).toBe(HOSTILE.map((v) => `${v}\0`).join(''));
    } finally {
      await pool.closeAll();
    }
    for (const h of NAMES)
      expect(await onHost(h, `test -e ${PWNED_MARKER} && echo yes || echo no`)).toBe('no');
  });

  it('fails a host whose sshd is stopped, alone, naming it in one aggregate error', async () => {
    const pool = new TransportPool({ root: REPO_ROOT });
    await sb.stopSshd('h2');
    try {
      const outcomes = await forEachHost(hosts, 2, async (h) =>
        (await execOk(pool.get(h), ['hostname'])).stdout.trim(),
      );
      expect(outcomes.map((o) => [o.host, o.ok])).toEqual([
        ['h1', true],
        ['h2', false],
        ['h3', true],
      ]);
      const failed = outcomes[1]!;
      expect(!failed.ok && failed.error).toBeInstanceOf(TransportError);
      let aggregate: unknown;
      try {
        allOk(outcomes);
      } catch (e) {
        aggregate = e;
      }
      expect(aggregate).toBeInstanceOf(AggregateHostError);
      expect((aggregate as Error).message).toMatch(/^1 host failed:\n {2}h2: .*(refused|timed out|closed)/i);
    } finally {
      await pool.closeAll();
      await sb.startSshd('h2');
    }
  });

  it('refuses a host whose key changed, before running anything', async () => {
    // A known_hosts that pins h1's address to a different key: exactly what a changed host key looks like.
    const otherKey = join(work, 'other_host_key');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const pub = (await readFile(`${otherKey}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
    const stale = join(work, 'stale_known_hosts');
    await writeFile(stale, `${hosts[0]!.address} ${pub}\n`);
    const h1 = { ...hosts[0]!, vars: { ...hosts[0]!.vars, slipway_known_hosts: stale } };
    const t = new SshTransport(sshTargetOf(h1, REPO_ROOT));
    try {
      const err = await t.exec(['touch', PWNED_MARKER]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect(String(err)).toMatch(/host key/i);
    } finally {
      await t.close();
    }
    expect(await onHost('h1', `test -e ${PWNED_MARKER} && echo yes || echo no`)).toBe('no');
  });

  it('kills a timed-out command and its children on the host', async () => {
    const pool = new TransportPool({ root: REPO_ROOT });
    const marker = `${process.pid}.7`;
    try {
      const argv = ['sh', '-c', 'sleep "$1" & sleep "$1"; wait', 'sh', marker];
      await expect(pool.get(hosts[0]!).exec(argv, { timeoutMs: 500 })).rejects.toBeInstanceOf(
        TransportTimeoutError,
      );
    } finally {
      await pool.closeAll();
    }
    expect(await onHost('h1', `pgrep -fx 'sleep ${marker}' || echo none`)).toBe('none');
  });

  it('streams a secret through stdin, never argv', async () => {
    const pool = new TransportPool({ root: REPO_ROOT });
    try {
      const r = await execOk(pool.get(hosts[2]!), ['sha256sum'], { stdin: 's3cret' });
      const local = await execa('sha256sum', { input: 's3cret' });
      expect(r.stdout).toBe(`${local.stdout}\n`);
    } finally {
      await pool.closeAll();
    }
  });

  it("forwards the host's docker socket to a local socket undici can use", async () => {
    const pool = new TransportPool({ root: REPO_ROOT });
    try {
      const fwd = await pool.get(hosts[1]!).forwardUnixSocket('/var/run/docker.sock');
      const agent = new Agent({ connect: { socketPath: fwd.localPath } });
      try {
        const res = await request('http://localhost/_ping', { dispatcher: agent });
        expect(res.statusCode).toBe(200);
        expect(await res.body.text()).toBe('OK');
      } finally {
        await agent.close();
        await fwd.close();
      }
    } finally {
      await pool.closeAll();
    }
  });

  it('reaches a host through a jump host, both host keys checked', async () => {
    const h2 = { ...hosts[1]!, vars: { ...hosts[1]!.vars, slipway_proxy_jump: `root@${hosts[0]!.address}` } };
    const t = new SshTransport(sshTargetOf(h2, REPO_ROOT));
    try {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
      const r = await execOk(t, ['sh', '-c', 'echo "$(hostname) ${SSH_CLIENT%% *}"']);
      expect(r.stdout).toBe(`h2 ${hosts[0]!.address}\n`);
    } finally {
      await t.close();
    }
  });
});
