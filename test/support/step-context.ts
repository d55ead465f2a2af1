import { type Pipeline, pipeline as pipelineSchema } from '../../src/config/schema/pipeline.ts';
import { project as projectSchema } from '../../src/config/schema/project.ts';
import type { Inventory, OpsRepo, PipelineFile } from '../../src/config/types.ts';
import type { HostStatus } from '../../src/core/changes.ts';
import type { ReleaseLedger } from '../../src/deploy/ledger.ts';
import type { ReleaseRecord } from '../../src/deploy/release.ts';
import { TransportPool } from '../../src/remote/pool.ts';
import type { StepContext } from '../../src/steps/types.ts';

/** What a test step context recorded: log lines, outputs and per-host statuses. */
export interface RecordedContext {
  ctx: StepContext;
  lines: { line: string; host?: string }[];
  outputs: Record<string, string>;
  statuses: { host: string; status: HostStatus; detail?: string }[];
  /** Releases the step recorded, in order. */
  releases: ReleaseRecord[];
  /** Backups the step recorded, in order. */
  backups: Parameters<ReleaseLedger['recordBackup']>[0][];
}

/** A StepContext for driving a step handler directly, without the engine; secrets come from `secrets`. */
export function stepContext(opts: {
  workdir: string;
  pipeline: unknown;
  sha: string;
  secrets?: Record<string, string>;
  inventory?: Inventory;
  outputs?: Record<string, string>;
  repo?: Partial<OpsRepo>;
  job?: string;
  runId?: string;
  /** Makes the context a rollback run's, restoring this recorded release. */
  rollback?: StepContext['run']['rollback'];
  /** Makes the context a restore run's, restoring the backup with this ledger id. */
  restoreBackup?: number;
  signal?: AbortSignal;
  /** The release ledger (e.g. a real store's); default: one that keeps what is recorded in `releases`. */
  releases?: ReleaseLedger;
  /** The connections to use (a run's pool); default: a pool of this context's own. */
  transports?: TransportPool;
}): RecordedContext {
  const parsed: Pipeline = pipelineSchema.parse(opts.pipeline);
  const file: PipelineFile = { file: 'pipelines/test.yml', pipeline: parsed, positions: new Map() };
  const outputs: Record<string, string> = { ...(opts.outputs ?? {}) };
  const lines: RecordedContext['lines'] = [];
  const statuses: RecordedContext['statuses'] = [];
  const releases: ReleaseRecord[] = [];
  const backups: RecordedContext['backups'] = [];
  const repo: OpsRepo = {
    root: opts.workdir,
    project: projectSchema.parse({}),
    pipelines: [file],
    inventories: new Map(),
    keys: new Map(),
    accessFiles: new Map(),
    sitesFiles: new Map(),
    ...opts.repo,
  };
  const ctx: StepContext = {
    repo,
    pipeline: file,
    job: opts.job ?? 'test',
    ...(opts.inventory ? { inventory: opts.inventory } : {}),
    run: {
      id: opts.runId ?? 'run-1',
      sha: opts.sha,
      branch: 'main',
      triggeredBy: 'test',
      ...(opts.rollback ? { rollback: opts.rollback } : {}),
      ...(opts.restoreBackup !== undefined ? { restoreBackup: opts.restoreBackup } : {}),
    },
    workdir: opts.workdir,
    secret(name) {
      const v = opts.secrets?.[name];
      if (v === undefined) throw new Error(`secret ${name} is not set`);
      return v;
    },
    outputs,
    setOutput(key, value) {
      outputs[key] = value;
    },
    log(line, o) {
      lines.push({ line, ...(o?.host ? { host: o.host } : {}) });
    },
    hostStatus(host, status, detail) {
      statuses.push({ host, status, ...(detail ? { detail } : {}) });
    },
    transports: opts.transports ?? new TransportPool({ root: opts.workdir }),
    releases: opts.releases ?? {
      record: (r) => releases.push(r),
      recorded: () => undefined,
      lastRecorded: (q) =>
        releases.findLast((r) => r.environment === q.environment && r.host === q.host && r.app === q.app)
          ?.release,
      recordBackup: (b) => backups.push(b),
      backupsRemoved: () => {},
      backup: () => undefined,
    },
    approvers: () => [],
    signal: opts.signal ?? new AbortController().signal,
  };
  return { ctx, lines, outputs, statuses, releases, backups };
}
