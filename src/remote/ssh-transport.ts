import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { atomicWrite } from './commands/files.ts';
import { KILL_GRACE_MS, runProcess, withEnv } from './exec-process.ts';
import { killGroup } from './process-group.ts';
import { shellQuote } from './shell-quote.ts';
import { renderSshConfig, type SshTarget } from './ssh-config.ts';
import type { ExecOptions, ExecResult, ForwardedSocket, Transport, UploadOptions } from './transport.ts';
import { CommandFailedError, TransportError } from './transport.ts';

const PID_TAG = 'slipway-remote-pid:';
const PID_LINE = new RegExp(`^${PID_TAG}(\\d+)\n`, 'm');

/** Tuning of an SshTransport. */
export interface SshTransportOptions {
  /** Idle seconds after which an orphaned master (e.g. the runner crashed) exits on its own. */
  persistSec?: number;
  /** Commands running at once on this host; sshd refuses sessions past its MaxSessions (default 10). */
  maxSessions?: number;
}

/**
 * A Transport over OpenSSH: one ControlMaster connection per host, reused by every command,
 * with host keys checked against the target's known_hosts (never trust-on-first-use).
 */
export class SshTransport implements Transport {
  readonly host: string;
  readonly #target: SshTarget;
  readonly #persistSec: number;
  readonly #maxSessions: number;
  #sessions = 0;
  readonly #waiting: (() => void)[] = [];
  #dir: Promise<string> | undefined;
  #connected: Promise<void> | undefined;
  #forwards = 0;

  constructor(target: SshTarget, opts: SshTransportOptions = {}) {
    if (target.address.startsWith('-')) throw new Error(`${target.name}: invalid address ${target.address}`);
    this.host = target.name;
    this.#target = target;
    this.#persistSec = opts.persistSec ?? 300;
    this.#maxSessions = opts.maxSessions ?? 8;
  }

  // A private 0700 directory (mkdtemp) for the config and the control socket, kept short because
  // unix socket paths are limited to 108 bytes.
  #privateDir(): Promise<string> {
    this.#dir ??= (async () => {
      const dir = await mkdtemp(join(tmpdir(), 'slw-ssh-'));
      await writeFile(join(dir, 'config'), renderSshConfig(this.#target), { mode: 0o600 });
      return dir;
    })();
    return this.#dir;
  }

  #args(dir: string, extra: string[]): string[] {
    const t = this.#target;
    const args = ['-F', join(dir, 'config'), '-S', join(dir, 'mux'), '-p', String(t.port)];
    if (t.user) args.push('-l', t.user);
    if (t.proxyJump) args.push('-J', t.proxyJump);
    return [...args, ...extra, '--', t.address];
  }

  /** Opens the master connection now (exec does it on first use); rejects with TransportError. */
  connect(): Promise<void> {
    this.#connected ??= (async () => {
      const dir = await this.#privateDir();
      const master = ['-o', 'ControlMaster=yes', '-o', `ControlPersist=${this.#persistSec}`];
      const r = await execa('ssh', [...this.#args(dir, master), 'exit 0'], {
        reject: false,
        stdin: 'ignore',
      });
      if (r.exitCode !== 0) throw new TransportError(this.host, sshFailure(r.stderr, r.exitCode));
    })();
    this.#connected.catch(() => {
      this.#connected = undefined;
    });
    return this.#connected;
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    // A finishing command hands its slot straight to the next waiter, so the count never overshoots.
    if (this.#sessions >= this.#maxSessions)
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#sessions++;
    try {
      return await this.#session(argv, opts);
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#sessions--;
    }
  }

  async #session(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    const command = shellQuote(withEnv(argv, opts.env));
    await this.connect();
    const dir = await this.#privateDir();
    // ControlMaster=auto: should the master have gone away (idle persist expired), the next
    // command quietly becomes the new master instead of failing.
    const mux = ['-o', 'ControlMaster=auto', '-o', `ControlPersist=${this.#persistSec}`];
    // Killing the local mux client does not stop the remote command (the master holds its stdio),
    // so the remote shell first reports its pid, which sshd made a process group leader (setsid),
    // and a stop signals that group remotely. The prefix is constant; user data stay quoted.
    const line = `echo "${PID_TAG}$$" >&2; exec ${command}`;
    let remotePid: number | undefined;
    const pidKnown = Promise.withResolvers<void>();
    const result = await runProcess(this.host, 'ssh', [...this.#args(dir, mux), line], argv, opts, {
      onSpawn: (child) => {
        let head = '';
        const watch = (chunk: Buffer) => {
          head += chunk.toString('latin1');
          const m = PID_LINE.exec(head);
          if (m || head.length > 65536) child.stderr?.off('data', watch);
          if (m) remotePid = Number(m[1]);
          if (m) pidKnown.resolve();
        };
        child.stderr?.on('data', watch);
        child.finally(() => pidKnown.resolve());
      },
      send: async (signal, child) => {
        // A stop may come before the remote shell has started; give it a moment to say its pid.
        const ac = new AbortController();
        await Promise.race([
          pidKnown.promise,
          sleep(KILL_GRACE_MS, undefined, { signal: ac.signal }).catch(() => {}),
        ]);
        ac.abort();
        if (remotePid !== undefined) {
          const kill = shellQuote(['kill', '-s', signal.slice(3), '--', `-${remotePid}`]);
          await execa('ssh', [...this.#args(dir, []), kill], {
            reject: false,
            stdin: 'ignore',
            timeout: KILL_GRACE_MS,
          });
        }
        if (signal === 'SIGKILL' || remotePid === undefined) killGroup(child.pid, signal);
      },
    });
    result.stderr = result.stderr.replace(PID_LINE, '');
    // 255 is ssh's own failure code, but a remote command may exit 255 too: ask the master.
    if (result.exitCode === 255 && !(await this.#masterAlive(dir))) {
      this.#connected = undefined;
      throw new TransportError(this.host, sshFailure(result.stderr, 255));
    }
    return result;
  }

  async #masterAlive(dir: string): Promise<boolean> {
    const r = await execa('ssh', this.#args(dir, ['-O', 'check']), { reject: false, stdin: 'ignore' });
    return r.exitCode === 0;
  }

  async upload(content: string | Buffer, remotePath: string, opts: UploadOptions): Promise<void> {
    const argv = atomicWrite(remotePath, opts);
    const result = await this.exec(argv, { stdin: content });
    if (result.exitCode !== 0) throw new CommandFailedError(this.host, ['upload', remotePath], result);
  }

  async forwardUnixSocket(remotePath: string): Promise<ForwardedSocket> {
    if (remotePath.includes(':')) throw new Error(`${this.host}: cannot forward a socket path with ':'`);
    await this.connect();
    const dir = await this.#privateDir();
    const localPath = join(dir, `fwd${this.#forwards++}.sock`);
    const spec = ['-L', `${localPath}:${remotePath}`];
    const r = await execa('ssh', this.#args(dir, ['-O', 'forward', ...spec]), {
      reject: false,
      stdin: 'ignore',
    });
    if (r.exitCode !== 0)
      throw new TransportError(this.host, `forward ${remotePath}: ${sshFailure(r.stderr, r.exitCode)}`);
    return {
      localPath,
      close: async () => {
        await execa('ssh', this.#args(dir, ['-O', 'cancel', ...spec]), { reject: false, stdin: 'ignore' });
        await rm(localPath, { force: true });
      },
    };
  }

  async close(): Promise<void> {
    const dirPromise = this.#dir;
    this.#dir = undefined;
    this.#connected = undefined;
    if (!dirPromise) return;
    const dir = await dirPromise.catch(() => undefined);
    if (!dir) return;
    await execa('ssh', this.#args(dir, ['-O', 'exit']), { reject: false, stdin: 'ignore' });
    await rm(dir, { recursive: true, force: true });
  }
}

// The last lines of ssh's stderr say why (host key mismatch, refused, auth); keep them short.
function sshFailure(stderr: unknown, exitCode: number | undefined): string {
  const lines = String(stderr ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('@@@') && !/^@\s*$/.test(l));
  const tail = lines.slice(-2).join(' / ');
  return tail || `ssh exited with ${exitCode ?? 'a signal'}`;
}
