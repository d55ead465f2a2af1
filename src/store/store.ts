import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { Backups } from './backups.ts';
import { openDatabase, transaction } from './database.ts';
import { DriftChecks } from './drift-checks.ts';
import { EventLog } from './events.ts';
import { Gates } from './gates.ts';
import { Locks } from './locks.ts';
import { Notifications } from './notifications.ts';
import { Policies } from './policies.ts';
import { Releases } from './releases.ts';
import { Runs } from './runs.ts';
import type { RunDetail } from './types.ts';

/** The one source of run truth: every process (CLI, runner, server, dashboard) opens the same file. */
export class Store {
  readonly path: string;
  readonly events: EventLog;
  readonly runs: Runs;
  readonly gates: Gates;
  readonly locks: Locks;
  readonly releases: Releases;
  readonly backups: Backups;
  readonly policies: Policies;
  readonly drift: DriftChecks;
  readonly notifications: Notifications;
  readonly #db: DatabaseSync;

  constructor(path: string) {
    this.path = path;
    this.#db = openDatabase(path);
    this.events = new EventLog(this.#db);
    this.runs = new Runs(this.#db, this.events);
    this.gates = new Gates(this.#db, this.events);
    this.locks = new Locks(this.#db, this.events);
    this.releases = new Releases(this.#db);
    this.backups = new Backups(this.#db);
    this.policies = new Policies(this.#db);
    this.drift = new DriftChecks(this.#db);
    this.notifications = new Notifications(this.#db);
  }

  /** Runs `fn` atomically across the store's tables. */
  transaction<T>(fn: () => T): T {
    return transaction(this.#db, fn);
  }

  /** A run with its jobs, steps, per-host progress, gates and outputs; undefined when there is no such run. */
  detail(runId: number): RunDetail | undefined {
    const run = this.runs.get(runId);
    if (!run) return undefined;
    return {
      run,
      jobs: this.runs.jobs(runId),
      steps: this.runs.steps(runId),
      hosts: this.runs.hosts(runId),
      gates: this.gates.ofRun(runId),
      outputs: this.runs.outputs(runId),
    };
  }

  close(): void {
    this.#db.close();
  }
}

/** Where the store lives: `SLIPWAY_STATE`, else `.slipway/state.db` under the repository. */
export function storePath(repoRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.SLIPWAY_STATE ? resolve(env.SLIPWAY_STATE) : resolve(repoRoot, '.slipway', 'state.db');
}

/** Opens the store of a repository; the default `.slipway/` directory is kept out of Git. */
export function openStore(repoRoot: string, env: NodeJS.ProcessEnv = process.env): Store {
  const path = storePath(repoRoot, env);
  if (!env.SLIPWAY_STATE) ignoreInGit(dirname(path));
  return new Store(path);
}

/** Gives a state directory inside the ops repository its own `.gitignore` of `*`, unless it has one. */
function ignoreInGit(dir: string): void {
  mkdirSync(dir, { recursive: true });
  try {
    // 'wx': a .gitignore the user edited is theirs.
    writeFileSync(join(dir, '.gitignore'), '# Slipway state (runs, approvals, logs): never committed.\n*\n', {
      flag: 'wx',
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
