/**
 * SSH transport bench on sandbox hosts (instance "xportbench", 8 hosts, reused when up):
 *  1. a small command plus a file write on 1, 4 and 8 hosts: Slipway's transport (pool + fan-out,
 *     one ControlMaster per host) vs `ansible -m shell` with forks=8 vs plain sequential `ssh`;
 *  2. 20 commands on one host: one reused connection vs a new connection per command;
 *  3. the transport choice: per-command latency of OpenSSH ControlMaster vs the ssh2 library.
 * Every run connects from scratch (connection setup counts). Host keys are checked strictly everywhere.
 * Run: node bench/transport.ts [--reps N]. Prints medians (ms) and ratios.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { createDataDir } from '../src/ansible/data-dir.ts';
import { resolveInventory } from '../src/config/inventory/resolve.ts';
import type { InventoryHost } from '../src/config/types.ts';
import { allOk, forEachHost } from '../src/remote/fanout.ts';
import { sshTargetOf } from '../src/remote/from-inventory.ts';
import { TransportPool } from '../src/remote/pool.ts';
import { renderSshConfig } from '../src/remote/ssh-config.ts';
import { SshTransport } from '../src/remote/ssh-transport.ts';
import { execOk } from '../src/remote/transport.ts';
import { REPO_ROOT, useSandbox } from '../test/support/sandbox.ts';
import { numberArg } from './lib/number-arg.ts';
import { printTable } from './lib/print-table.ts';
import { median, timed } from './lib/timing.ts';

const REPS = numberArg('--reps', 5);
const NAMES = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8'];
const FILE = '/tmp/slipway-bench.txt';
const CONTENT = 'slipway bench\n';

/** The median time of REPS calls of `fn`. */
async function medianOfReps(fn: () => Promise<unknown>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < REPS; i++) xs.push(await timed(fn));
  return median(xs);
}

const ratio = (x: number, base: number) => `${(x / base).toFixed(2)}x`;

async function healthySandbox() {
  const reused = await useSandbox({ name: 'xportbench', hosts: NAMES });
  const probes = await Promise.allSettled(NAMES.map((h) => reused.exec(h, ['true'])));
  if (probes.every((p) => p.status === 'fulfilled')) return reused;
  // A host whose namespaces lost their processes cannot fork: start the instance over.
  return useSandbox({ name: 'xportbench', hosts: NAMES, fresh: true });
}

const sb = await healthySandbox();
const inventoryDir = join(sb.inventoriesRoot, 'test');
const inventory = await resolveInventory(inventoryDir, 'test');
const hosts: InventoryHost[] = NAMES.map((n) => inventory.hosts.get(n)!);
const sshConfig = join(sb.stateDir, 'bench_ssh_config');
await writeFile(
  sshConfig,
  renderSshConfig({ name: 'xportbench', knownHostsFiles: [sb.knownHosts], identityFile: sb.sshKey }),
);
const ansibleData = await createDataDir({ knownHosts: [sb.knownHosts], sshKey: sb.sshKey, forks: 8 });
const { SLIPWAY_EVENTS_FD: _unused, ...ansibleEnv } = ansibleData.env;

function plainSsh(h: InventoryHost, command: string, input?: string) {
  const args = ['-F', sshConfig, '-p', String(h.port), '-l', h.user ?? 'root', '--', h.address, command];
  return execa('ssh', args, input === undefined ? { stdin: 'ignore' } : { input });
}

async function slipway(targets: InventoryHost[]): Promise<void> {
  const pool = new TransportPool({ root: REPO_ROOT });
  try {
    const outcomes = await forEachHost(targets, 8, async (h) => {
      const t = pool.get(h);
      await execOk(t, ['hostname']);
      await t.upload(CONTENT, FILE, { mode: 0o644 });
    });
    allOk(outcomes);
  } finally {
    await pool.closeAll();
  }
}

async function ansible(targets: InventoryHost[]): Promise<void> {
  const limit = targets.map((h) => h.name).join(',');
  const script = `hostname && printf '%s\\n' 'slipway bench' > ${FILE}`;
  await execa(
    'ansible',
    ['all', '-i', inventoryDir, '--limit', limit, '--forks', '8', '-m', 'shell', '-a', script],
    {
      env: ansibleEnv,
      extendEnv: false,
      stdin: 'ignore',
    },
  );
}

async function sequentialSsh(targets: InventoryHost[]): Promise<void> {
  for (const h of targets) {
    await plainSsh(h, 'hostname');
    await plainSsh(h, `cat > ${FILE}`, CONTENT);
  }
}

try {
  // Warm-up: page cache, sshd and ansible's python imports.
  await slipway(hosts);
  await ansible(hosts.slice(0, 1));

  const rows1: (string | number)[][] = [];
  for (const n of [1, 4, 8]) {
    const targets = hosts.slice(0, n);
    const s = await medianOfReps(() => slipway(targets));
    const a = await medianOfReps(() => ansible(targets));
    const q = await medianOfReps(() => sequentialSsh(targets));
    rows1.push([n, s, a, q, ratio(a, s), ratio(q, s)]);
  }
  for (const h of hosts) {
    if ((await sb.exec(h.name, ['cat', FILE])).trim() !== CONTENT.trim())
      throw new Error(`${h.name}: bad file`);
  }
  printTable(
    `1. command + file write per host (median of ${REPS}, ms; connection setup included)`,
    ['hosts', 'slipway', 'ansible -m shell', 'sequential ssh', 'ansible/slipway', 'ssh/slipway'],
    rows1,
  );

  const one = hosts[0]!;
  const reused = await medianOfReps(async () => {
    const t = new SshTransport(sshTargetOf(one, REPO_ROOT));
    try {
      for (let i = 0; i < 20; i++) await execOk(t, ['true']);
    } finally {
      await t.close();
    }
  });
  const fresh = await medianOfReps(async () => {
    for (let i = 0; i < 20; i++) await plainSsh(one, 'true');
  });
  printTable(
    `2. 20 commands on one host (median of ${REPS}, ms)`,
    ['connection', 'total', 'per command', 'ratio'],
    [
      ['reused (ControlMaster)', reused, (reused / 20).toFixed(1), '1.00x'],
      ['new per command', fresh, (fresh / 20).toFixed(1), ratio(fresh, reused)],
    ],
  );

  // 3. Why ControlMaster: the same host, connection already up, per-command latency.
  const mux = new SshTransport(sshTargetOf(one, REPO_ROOT));
  await mux.connect();
  const muxSeq = await medianOfReps(async () => {
    for (let i = 0; i < 20; i++) await execOk(mux, ['true']);
  });
  const muxPar = await medianOfReps(() =>
    Promise.all(Array.from({ length: 6 }, () => execOk(mux, ['true']))),
  );
  await mux.close();
  const ssh2 = await ssh2Client(one);
  const ssh2Seq = await medianOfReps(async () => {
    for (let i = 0; i < 20; i++) await ssh2.run('true');
  });
  const ssh2Par = await medianOfReps(() => Promise.all(Array.from({ length: 6 }, () => ssh2.run('true'))));
  ssh2.end();
  printTable(
    `3. transport choice, connection up (median of ${REPS}, ms)`,
    ['client', '20 sequential', '6 parallel', 'seq ratio', 'par ratio'],
    [
      ['OpenSSH ControlMaster', muxSeq, muxPar, '1.00x', '1.00x'],
      ['ssh2 (node)', ssh2Seq, ssh2Par, ratio(ssh2Seq, muxSeq), ratio(ssh2Par, muxPar)],
    ],
  );
} finally {
  await ansibleData.cleanup();
  await rm(ansibleData.root, { recursive: true, force: true });
  await rm(sshConfig, { force: true });
  await Promise.allSettled(NAMES.map((h) => sb.exec(h, ['rm', '-f', FILE])));
}

interface Ssh2Stream {
  on(event: string, fn: (...args: unknown[]) => void): Ssh2Stream;
  stderr: { on(event: string, fn: (...args: unknown[]) => void): void };
}
interface Ssh2Client {
  on(event: string, fn: (...args: unknown[]) => void): Ssh2Client;
  connect(opts: object): void;
  exec(command: string, cb: (err: Error | undefined, stream: Ssh2Stream) => void): void;
  end(): void;
}

/** An ssh2 connection (the library docker-modem already ships) with the same strict host key check. */
async function ssh2Client(h: InventoryHost) {
  // ssh2 comes with dockerode (docker-modem); it has no types in this project, hence the narrow interface.
  const mod = (await import('ssh2' as string)) as { Client: new () => Ssh2Client };
  const known = await readFile(sb.knownHosts, 'utf8');
  const privateKey = await readFile(sb.sshKey);
  const client = new mod.Client();
  await new Promise<void>((resolve, reject) => {
    client.on('ready', () => resolve()).on('error', (e) => reject(e));
    client.connect({
      host: h.address,
      port: h.port,
      username: h.user ?? 'root',
      privateKey,
      hostVerifier: (key: Buffer) => known.split('\n').some((l) => l.includes(` ${key.toString('base64')}`)),
    });
  });
  return {
    run: (command: string) =>
      new Promise<void>((resolve, reject) =>
        client.exec(command, (err, stream) => {
          if (err) return reject(err);
          stream.on('data', () => {}).on('close', () => resolve());
          stream.stderr.on('data', () => {});
        }),
      ),
    end: () => client.end(),
  };
}
