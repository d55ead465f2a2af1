import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshTargetOf } from '../../../src/remote/from-inventory.ts';
import { LocalTransport } from '../../../src/remote/local-transport.ts';
import { SshTransport } from '../../../src/remote/ssh-transport.ts';
import { type Transport, TransportError, TransportTimeoutError } from '../../../src/remote/transport.ts';
import { HOSTILE, PWNED_MARKER } from '../../support/hostile-argv.ts';
import { startThrowawaySshd, type ThrowawaySshd } from '../../support/throwaway-sshd.ts';

// A real sshd on 127.0.0.1 (own host key and known_hosts); the "remote" filesystem is this machine's.
let sshd: ThrowawaySshd;
let work: string;
const PRINT_ARGV = ['sh', '-c', `printf '%s\\0' "$@"`, 'sh'];

beforeAll(async () => {
  sshd = await startThrowawaySshd();
  work = await mkdtemp(join(tmpdir(), 'slipway-transport-'));
});
afterAll(async () => {
  await sshd?.close();
  await rm(work, { recursive: true, force: true });
});

function sshTransport(): SshTransport {
  return new SshTransport(sshTargetOf(sshd.inventoryHost('h1'), '/'));
}

const kinds: [string, () => Transport][] = [
  ['SshTransport', sshTransport],
  ['LocalTransport', () => new LocalTransport('h1')],
];

describe.each(kinds)('%s', (_name, make) => {
  let t: Transport;
  beforeAll(() => {
    t = make();
  });
  afterAll(async () => {
    await t.close();
  });

  it('returns stdout, stderr and a non-zero exit code as a result', async () => {
    const r = await t.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
  });

  it('round-trips hostile argv byte-exact, nothing interpreted by a shell', async () => {
    const r = await t.exec([...PRINT_ARGV, ...HOSTILE]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(HOSTILE.map((h) => `${h}\0`).join(''));
    expect(existsSync(PWNED_MARKER)).toBe(false);
  });

  it('streams stdin (string, Buffer) to the command', async () => {
    expect((await t.exec(['cat'], { stdin: 'secret\n' })).stdout).toBe('secret\n');
    const bytes = Buffer.from([0, 1, 2, 255, 10]);
    const r = await t.exec(['od', '-An', '-tx1'], { stdin: bytes });
    expect(r.stdout.trim()).toBe('00 01 02 ff 0a');
  });

  it('passes env without a shell', async () => {
    const r = await t.exec([...PRINT_ARGV, 'x'], { env: { A: '$(id) b' } });
    expect(r.stdout).toBe('x\0');
    const env = await t.exec(['printenv', 'A'], { env: { A: '$(id) b' } });
    expect(env.stdout).toBe('$(id) b\n');
  });

  it('kills a command (its whole process group) at its timeout', async () => {
    const marker = `${process.pid}.${_name.length}`;
    const argv = ['sh', '-c', 'sleep "$1" & sleep "$1"; wait', 'sh', marker];
    await expect(t.exec(argv, { timeoutMs: 300 })).rejects.toBeInstanceOf(TransportTimeoutError);
    // Neither the command nor its background child survives.
    expect((await t.exec(['pgrep', '-fx', `sleep ${marker}`])).exitCode).toBe(1);
  });

  it('kills a command on abort', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop now')), 200);
    await expect(t.exec(['sleep', '30'], { signal: ac.signal })).rejects.toThrow('stop now');
  });

  it('uploads atomically with mode and owner, replacing an existing file', async () => {
    const path = join(work, `${_name} upload 'x' $(id)`);
    await t.upload('first', path, { mode: 0o644 });
    await t.upload(Buffer.from('second\n'), path, { mode: 0o600, owner: 'nobody', group: 'nogroup' });
    expect(await readFile(path, 'utf8')).toBe('second\n');
    const s = await stat(path);
    expect(s.mode & 0o7777).toBe(0o600);
    const r = await t.exec(['stat', '-c', '%U:%G', path]);
    expect(r.stdout).toBe('nobody:nogroup\n');
    const leftovers = (await t.exec(['ls', '-A', work])).stdout
      .split('\n')
      .filter((f) => f.includes('.slipway-upload'));
    expect(leftovers).toEqual([]);
  });

  it('fails an upload into a missing directory without leaving files', async () => {
    await expect(t.upload('x', join(work, 'missing-dir', 'f'), { mode: 0o600 })).rejects.toThrow(/upload/);
  });

  it('forwards a unix socket that undici can use', async () => {
    const socketPath = join(work, `${_name.toLowerCase()}.sock`);
    const server: Server = createServer((conn) => {
      conn.once('data', () =>
        conn.end('HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello'),
      );
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const fwd = await t.forwardUnixSocket(socketPath);
    try {
      const agent = new Agent({ connect: { socketPath: fwd.localPath } });
      const res = await request('http://localhost/config/', { dispatcher: agent });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('hello');
      await agent.close();
    } finally {
      await fwd.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('SshTransport connection handling', () => {
  it('reuses one master connection for every command', async () => {
    const t = sshTransport();
    try {
      // $PPID of the remote shell is the per-session sshd; the master's sshd is its parent.
      const parents = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const r = await t.exec(['sh', '-c', 'ps -o ppid= -p "$PPID"']);
        parents.add(r.stdout.trim());
      }
      expect(parents.size).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('queues commands past maxSessions (8) and runs them all', async () => {
    const t = sshTransport();
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => t.exec(['echo', String(i)])));
      expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
    } finally {
      await t.close();
    }
  });

  it('connects through a ProxyJump host, checking its host key too', async () => {
    const host = sshd.inventoryHost('behind-jump');
    host.vars['ansible_ssh_common_args'] = `-o ProxyJump=root@127.0.0.2:${sshd.port}`;
    const t = new SshTransport(sshTargetOf(host, '/'));
    try {
      const r = await t.exec(['sh', '-c', 'echo "$SSH_CLIENT"']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/^127\.0\.0\.1 /);
    } finally {
      await t.close();
    }
  });

  it('reports an unreachable host as a TransportError', async () => {
    const host = sshd.inventoryHost('nowhere');
    host.port = 1;
    const t = new SshTransport(sshTargetOf(host, '/'));
    await expect(t.exec(['true'])).rejects.toBeInstanceOf(TransportError);
    await t.close();
  });

  it('refuses a host whose key changed, running nothing', async () => {
    const t = sshTransport();
    try {
      await sshd.rotateHostKey();
      const err = await t.exec(['touch', PWNED_MARKER]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect(String(err)).toMatch(/host key/i);
      expect(existsSync(PWNED_MARKER)).toBe(false);
    } finally {
      await t.close();
    }
  });
});
