import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { actorName, cliActor } from '../approvals/identity.ts';
import type { Actor } from '../approvals/policy.ts';
import type { PolicySource } from '../approvals/policy-source.ts';
import type { TrustedPolicy } from '../approvals/trusted-policy.ts';
import { formatConfigError } from '../config/load-repo.ts';
import type { OpsRepo, PipelineFile } from '../config/types.ts';
import type { JobRequester } from '../engine/create-run.ts';
import { expireUnwatchedGates, recoverAbandonedRuns } from '../engine/recovery.ts';
import { openStore, type Store, storePath } from '../store/store.ts';
import type { RunRecord } from '../store/types.ts';
import { type Checkouts, checkoutsBeside } from '../triggers/checkout.ts';
import { loadRunTrees } from '../triggers/run-trees.ts';
import { CliError } from './errors.ts';
import { ExitCode } from './exit-codes.ts';
import { headCommit } from './git-commit.ts';
import { repoFlags } from './repo-config.ts';

/** The store of the repository a command works on, brought up to date (dead runners, expired gates). */
export async function openRunStore(cmd: Command): Promise<Store> {
  const store = openStore(repoFlags(cmd).root);
  await recoverAbandonedRuns(store);
  expireUnwatchedGates(store);
  return store;
}

/** The checkouts beside the command's store: serve's trees of app commits, and where the CLI fetches more. */
export function cliCheckouts(cmd: Command): Checkouts {
  return checkoutsBeside(storePath(repoFlags(cmd).root));
}

/** The CLI's actor: the OS account (and uid), named through the trusted people table. */
export function operator(policy: TrustedPolicy): { actor: Actor; name: string } {
  const actor = cliActor();
  return { actor, name: actorName(actor, policy.project.people) };
}

/**
 * Who asks for a run of one job alone (a rollback, a restore) from the CLI: the operator, at the checkout's
 * HEAD, under the policy in force; `name` is who executes it.
 */
export async function cliRequester(
  cmd: Command,
  repo: OpsRepo,
  policy: TrustedPolicy,
): Promise<JobRequester & { name: string }> {
  const { actor, name } = operator(policy);
  return {
    name,
    repo,
    commit: await headCommit(repo.root),
    triggeredBy: name,
    triggerIdentity: actor.identity,
    channel: 'cli',
    policy,
    inventoriesRoot: repoFlags(cmd).load.inventoriesRoot,
  };
}

/**
 * The operator's name for records that grant nothing (cancel, plan): through the policy in force when it
 * can be read, else the raw OS account, so canceling never depends on the policy being readable.
 */
export async function operatorName(source: PolicySource): Promise<string> {
  const policy = await source.current().catch(() => undefined);
  return actorName(cliActor(), policy?.project.people);
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

/**
 * How a process loads the repository and pipeline a stored run came from, as it sees them now, under the
 * policy in force now (slipway.yml from the trusted ref, never the run's commit); an app repository's run
 * from its recorded app and ops trees.
 */
export function runContextLoader(source: PolicySource) {
  return async (
    run: RunRecord,
  ): Promise<{ repo: OpsRepo; pipeline: PipelineFile; policy: TrustedPolicy }> => {
    const policy = await source.current();
    const result = await loadRunTrees(run, policy.root);
    if (!result.ok) {
      const what = run.app ? `app ${run.app.name} at ${run.sha.slice(0, 12)}` : 'the ops repository';
      throw new Error(`${what} is invalid now:\n${result.errors.map(formatConfigError).join('\n')}`);
    }
    return { repo: result.repo, pipeline: findPipeline(result.repo, run.pipelineFile), policy };
  };
}

/** Parses a RUN argument. */
export function runIdArg(text: string): number {
  const id = Number(text);
  if (!Number.isInteger(id) || id <= 0) throw new Error(`expected a run number, got ${JSON.stringify(text)}`);
  return id;
}
