import { createWriteStream } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { escalate, killGroup } from '../remote/process-group.ts';
import { errorMessage } from '../util/errors.ts';
import { createDataDir, EVENTS_FD } from './data-dir.ts';
import {
  type AnsibleEvent,
  type HostOutcome,
  hostOutcomes,
  type PlaybookStats,
  parseEventLine,
} from './events.ts';
import { exitCodeMeaning } from './exit-codes.ts';

/** One ansible-playbook invocation. */
export interface PlaybookOptions {
  playbook: string;
  /** Inventory files or directories, used in place (`-i` each). */
  inventory: string[];
  /** Working directory (relative paths in the inventory resolve from here); default: process cwd. */
  cwd?: string;
  extraVars?: Record<string, unknown>;
  limit?: string[];
  tags?: string[];
  /** `--check --diff` together are the plan: what would change, changing nothing. */
  check?: boolean;
  diff?: boolean;
  /** Default private key; hosts may still set ansible_ssh_private_key_file. */
  sshKey?: string;
  /** known_hosts files to check every host key against (strict, never trust-on-first-use). */
  knownHosts: string[];
  forks?: number;
  /** Folders roles are looked up in by name (`roles_path` of the private ansible.cfg). */
  rolesPath?: string[];
  /** Decrypts vault values and files the playbook and inventory read (`--vault-password-file`). */
  vaultPasswordFile?: string;
  /** Kill the whole run (process group, SIGINT then SIGTERM then SIGKILL) after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Wait between the signals of a stop (default 5 s). */
  killGraceMs?: number;
  /**
   * Private data dir to create; its artifacts/ stay. Default: a temp dir, removed after the run
   * (the result carries what went wrong).
   */
  dataDir?: string;
  onEvent?: (event: AnsibleEvent) => void;
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Told ansible-playbook's process group when it starts and undefined when it ends (crash recovery kills it). */
  trackProcessGroup?: (pgid: number | undefined) => void;
}

/** How a run ended, as ansible-runner names it. */
export type RunStatus = 'successful' | 'failed' | 'timeout' | 'canceled';

/** The outcome of a playbook run. */
export interface PlaybookResult {
  status: RunStatus;
  /** ansible-playbook's exit code; -1 when it did not start, 128+N when killed by signal N. */
  rc: number;
  rcMeaning: string;
  events: AnsibleEvent[];
  /** Per-host outcome taken from the events. */
  hosts: Record<string, HostOutcome>;
  stats?: PlaybookStats;
  /** artifacts/: command, events.jsonl, stdout, stderr, then rc and status last (see `dataDir`). */
  artifactsDir: string;
  /** Why the run failed to start, or lines of unparsable events. */
  errors: string[];
}

/** stderr lines a failed run's errors end with. */
const STDERR_TAIL = 5;

/** The ansible-playbook argv for these options (the extravars file lives in the data dir). */
export function playbookArgs(opts: PlaybookOptions, extraVarsFile?: string): string[] {
  const args: string[] = [];
  for (const inv of opts.inventory) args.push('-i', inv);
  if (opts.check) args.push('--check');
  if (opts.diff) args.push('--diff');
  if (opts.limit?.length) args.push('--limit', opts.limit.join(','));
  if (opts.tags?.length) args.push('--tags', opts.tags.join(','));
  if (opts.forks) args.push('--forks', String(opts.forks));
  if (extraVarsFile) args.push('--extra-vars', `@${extraVarsFile}`);
  if (opts.vaultPasswordFile) args.push('--vault-password-file', opts.vaultPasswordFile);
  return [...args, opts.playbook];
}

function lines(stream: Readable | null | undefined, onLine: (line: string) => void): Promise<void> {
  if (!stream) return Promise.resolve();
  const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  rl.on('line', onLine);
  return new Promise((resolve) => rl.once('close', resolve));
}

// ansible's ssh masters daemonize into their own session, out of reach of the group kill.
async function exitControlMasters(controlDir: string): Promise<void> {
  const sockets = await readdir(controlDir).catch(() => [] as string[]);
  await Promise.all(
    sockets.map((s) =>
      execa('ssh', ['-o', `ControlPath=${join(controlDir, s)}`, '-O', 'exit', 'slipway-control'], {
        reject: false,
        stdin: 'ignore',
        timeout: 5000,
      }),
    ),
  );
}

/**
 * Runs ansible-playbook like ansible-runner: private data dir, pinned config, events from the
 * repo's callback on fd 3 (parsed, streamed to `onEvent`), artifacts that always end with rc and
 * status. Timeout and abort stop the whole process group; the promise never rejects for a failed run.
 */
export async function runPlaybook(opts: PlaybookOptions): Promise<PlaybookResult> {
  const data = await createDataDir({
    ...(opts.dataDir ? { dir: opts.dataDir } : {}),
    ...(opts.extraVars ? { extraVars: opts.extraVars } : {}),
    ...(opts.sshKey ? { sshKey: opts.sshKey } : {}),
    knownHosts: opts.knownHosts,
    ...(opts.forks ? { forks: opts.forks } : {}),
    ...(opts.rolesPath ? { rolesPath: opts.rolesPath } : {}),
  });
  const art = data.artifacts;
  const events: AnsibleEvent[] = [];
  const errors: string[] = [];
  const stderrTail: string[] = [];
  // ansible-playbook's own error (a parse error, a missing module) opens a message its last lines do not repeat.
  let stderrError: string | undefined;
  let stopped: 'timeout' | 'canceled' | undefined;
  let rc = -1;
  try {
    const args = playbookArgs(opts, data.extraVarsFile);
    await writeFile(join(art, 'command'), `${JSON.stringify(['ansible-playbook', ...args])}\n`);
    if (opts.signal?.aborted) {
      stopped = 'canceled';
    } else {
      const stdoutFile = createWriteStream(join(art, 'stdout'));
      const stderrFile = createWriteStream(join(art, 'stderr'));
      const eventsFile = createWriteStream(join(art, 'events.jsonl'));
      const child = execa('ansible-playbook', args, {
        cwd: opts.cwd ?? process.cwd(),
        env: data.env,
        extendEnv: false,
        // Own process group, so a stop reaches ansible's workers and ssh clients too.
        detached: true,
        reject: false,
        buffer: false,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      });
      opts.trackProcessGroup?.(child.pid);
      const stop = (why: 'timeout' | 'canceled') => {
        if (stopped) return;
        stopped = why;
        const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGKILL'];
        void escalate((s) => killGroup(child.pid, s), signals, opts.killGraceMs ?? 5000, child);
      };
      const timer =
        opts.timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), opts.timeoutMs);
      const onAbort = () => stop('canceled');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const readers = [
        lines(child.stdout, (l) => {
          stdoutFile.write(`${l}\n`);
          opts.onOutput?.(l, 'stdout');
        }),
        lines(child.stderr, (l) => {
          stderrFile.write(`${l}\n`);
          if (l.trim()) stderrTail.push(l.trim());
          if (stderrError === undefined && l.startsWith('ERROR!')) stderrError = l.trim();
          if (stderrTail.length > STDERR_TAIL) stderrTail.shift();
          opts.onOutput?.(l, 'stderr');
        }),
        lines(child.stdio[EVENTS_FD] as Readable, (l) => {
          eventsFile.write(`${l}\n`);
          try {
            const event = parseEventLine(l);
            events.push(event);
            opts.onEvent?.(event);
          } catch (e) {
            errors.push(errorMessage(e));
          }
        }),
      ];
      const result = await child;
      opts.trackProcessGroup?.(undefined);
      await Promise.all(readers);
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      await Promise.all([stdoutFile, stderrFile, eventsFile].map((f) => new Promise((r) => f.end(r))));
      if (result.exitCode !== undefined) rc = result.exitCode;
      else if (result.signal) rc = 128 + (constants.signals[result.signal] ?? 0);
      else errors.push(`ansible-playbook did not start: ${result.originalMessage || result.shortMessage}`);
    }
  } catch (e) {
    errors.push(errorMessage(e));
  } finally {
    await exitControlMasters(data.controlDir);
    await data.cleanup();
  }
  const status: RunStatus = stopped ?? (rc === 0 ? 'successful' : 'failed');
  // rc, then status, always last: a reader that sees `status` knows the run is over.
  await writeFile(join(art, 'rc'), `${rc}\n`);
  await writeFile(join(art, 'status'), `${status}\n`);
  // The causes travel in the result (per-host reasons, stderr's last lines): nothing is left behind.
  if (!opts.dataDir) await rm(data.root, { recursive: true, force: true });
  if (status !== 'successful' && stderrTail.length > 0) {
    const shown =
      stderrError && !stderrTail.includes(stderrError) ? [stderrError, '...', ...stderrTail] : stderrTail;
    errors.push(`stderr: ${shown.join(' | ')}`);
  }
  const stats = events.findLast((e): e is PlaybookStats => e.event === 'stats');
  return {
    status,
    rc,
    rcMeaning: rc === -1 ? 'did not start' : exitCodeMeaning(rc),
    events,
    hosts: hostOutcomes(events),
    ...(stats ? { stats } : {}),
    artifactsDir: art,
    errors,
  };
}
