import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { actorName, cliActor } from '../approvals/identity.ts';
import type { Actor } from '../approvals/policy.ts';
import { formatConfigError, loadRepo } from '../config/load-repo.ts';
import type { OpsRepo, PipelineFile } from '../config/types.ts';
import { expireUnwatchedGates, recoverAbandonedRuns } from '../engine/recovery.ts';
import { openStore, type Store } from '../store/store.ts';
import type { RunRecord } from '../store/types.ts';
import { CliError } from './errors.ts';
import { ExitCode } from './exit-codes.ts';
import { repoFlags } from './repo-config.ts';

/** The store of the repository a command works on, brought up to date (dead runners, expired gates). */
export async function openRunStore(cmd: Command): Promise<Store> {
  const store = openStore(repoFlags(cmd).root);
  await recoverAbandonedRuns(store);
  expireUnwatchedGates(store);
  return store;
}

/** The CLI's actor for a repository: the OS account mapped through slipway.yml `operators`. */
export function operator(repo: OpsRepo): { actor: Actor; name: string } {
  const actor = cliActor(repo.project);
  return { actor, name: actorName(actor) };
}

/** Finds a pipeline by file path (relative to the repo or cwd) or by name. */
export function findPipeline(repo: OpsRepo, arg: string): PipelineFile {
  const candidates = [resolve(repo.root, arg), resolve(arg)];
  const found =
    repo.pipelines.find((p) => candidates.includes(resolve(repo.root, p.file))) ??
    repo.pipelines.find((p) => p.pipeline.name === arg);
  if (found) return found;
  const known =
    repo.pipelines.map((p) => relative(repo.root, resolve(repo.root, p.file))).join(', ') || 'none';
  throw new CliError(`no pipeline ${arg} (pipelines: ${known})`, ExitCode.InvalidConfig);
}

/** Loads the repository and pipeline a stored run came from, as the process continuing it sees them now. */
export async function loadRunContext(run: RunRecord): Promise<{ repo: OpsRepo; pipeline: PipelineFile }> {
  const result = await loadRepo(
    run.repoRoot,
    run.inventoriesRoot ? { inventoriesRoot: run.inventoriesRoot } : {},
  );
  if (!result.ok) {
    throw new Error(`the ops repository is invalid now:\n${result.errors.map(formatConfigError).join('\n')}`);
  }
  return { repo: result.repo, pipeline: findPipeline(result.repo, run.pipelineFile) };
}

/** Parses a RUN argument. */
export function runIdArg(text: string): number {
  const id = Number(text);
  if (!Number.isInteger(id) || id <= 0) throw new Error(`expected a run number, got ${JSON.stringify(text)}`);
  return id;
}
