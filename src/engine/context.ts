import type { OpsRepo, PipelineFile } from '../config/types.ts';
import type { HostStatus } from '../core/changes.ts';
import type { StepContext } from '../steps/types.ts';
import type { RunSecrets } from './secrets.ts';

/** What a step context is made of; the executor backs it with the store, `plan` with memory. */
export interface StepContextParts {
  repo: OpsRepo;
  pipeline: PipelineFile;
  job: string;
  run: StepContext['run'];
  workdir: string;
  secrets: RunSecrets;
  outputs: Record<string, string>;
  setOutput(key: string, value: string): void;
  log(line: string, opts?: { host?: string; stream?: 'stdout' | 'stderr' }): void;
  hostStatus(host: string, status: HostStatus, detail?: string): void;
  transports: StepContext['transports'];
  releases: StepContext['releases'];
  approvers: StepContext['approvers'];
  signal: AbortSignal;
  trackProcessGroup?(pgid: number | undefined): void;
}

/** The context a step kind sees for one job: its environment's inventory resolved, secrets by name. */
export function stepContext(p: StepContextParts): StepContext {
  const env = p.pipeline.pipeline.jobs[p.job]?.environment;
  return {
    repo: p.repo,
    pipeline: p.pipeline,
    job: p.job,
    inventory: env ? p.repo.inventories.get(env) : undefined,
    run: p.run,
    workdir: p.workdir,
    secret: (name) => p.secrets.get(name, env),
    outputs: p.outputs,
    setOutput: p.setOutput,
    log: p.log,
    hostStatus: p.hostStatus,
    transports: p.transports,
    releases: p.releases,
    approvers: p.approvers,
    signal: p.signal,
    trackProcessGroup: p.trackProcessGroup,
  };
}
