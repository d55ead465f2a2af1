import * as core from '@actions/core';
import type { PolicySource } from '../../../src/approvals/policy-source.ts';
import { submitDecision } from '../../../src/approvals/service.ts';
import { runContextLoader } from '../../../src/cli/run-session.ts';
import { createForge } from '../../../src/forge/create.ts';
import type { ForgeKind } from '../../../src/forge/types.ts';
import type { Store } from '../../../src/store/store.ts';
import { errorMessage } from '../../../src/util/errors.ts';
import { continueRefusal, executeAndReport, maskPipelineSecrets } from '../../shared/execution.ts';
import {
  actionPolicy,
  actionStore,
  booleanInput,
  optionalInput,
  repoRoot,
  runIdInput,
} from '../../shared/inputs.ts';

/**
 * The `slipway/approve` action: a decision on a run's gate by the person the workflow's actor (a login the
 * forge verified) maps to, judged by the same policy as the CLI, dashboard and issue comments. A decision
 * that opens the gate of a run no process is executing continues the run in this job (unless `continue`
 * is false), as GitHub's environment reviews let a waiting job go on.
 */
async function main(): Promise<void> {
  const root = repoRoot();
  const runId = runIdInput('run-id');
  const decision = core.getInput('decision') || 'approve';
  if (decision !== 'approve' && decision !== 'reject')
    throw new Error(`decision: expected approve or reject`);
  const login = workflowActor(process.env);
  const job = optionalInput('job');
  const planHash = optionalInput('plan-hash');
  const reason = optionalInput('reason');
  // Read before deciding: a bad value must not leave a decision half acted on.
  const keepGoing = booleanInput('continue', true);
  // Gitea's act_runner sets GITEA_ACTIONS.
  const kind: ForgeKind = process.env.GITEA_ACTIONS === 'true' ? 'gitea' : 'github';
  await requireWrite(kind, login);

  const store = actionStore(root);
  const policy = actionPolicy(root, optionalInput('inventories'));
  try {
    const outcome = await submitDecision(store, {
      runId,
      ...(job ? { job } : {}),
      actor: { identity: { channel: kind, login }, channel: 'forge' },
      decision,
      ...(reason ? { reason } : {}),
      policy,
      ...(planHash ? { expectedPlanHash: planHash } : {}),
    });
    core.setOutput('accepted', String(outcome.accepted));
    core.setOutput('gate-status', outcome.gate?.status ?? '');
    if (!outcome.accepted) {
      core.setFailed(`not counted: ${outcome.reason}`);
      return;
    }
    core.info(outcome.reason);
    const opened = outcome.gate?.status === 'approved' || outcome.gate?.status === 'rejected';
    if (opened) await continueAfterDecision(store, runId, policy, login, decision, keepGoing);
  } finally {
    store.close();
  }
}

/**
 * Continues a run whose gate the decision opened, in this job: unless `continue` is false, a process already
 * executes it, or it is a change of policy (settled by the decision itself). A rejection ends it `rejected`
 * and frees its environment.
 */
async function continueAfterDecision(
  store: Store,
  runId: number,
  source: PolicySource,
  actor: string,
  decision: 'approve' | 'reject',
  keepGoing: boolean,
): Promise<void> {
  const run = store.runs.get(runId)!;
  if (run.kind === 'policy' || run.owner) return;
  if (!keepGoing) {
    core.notice(
      `run ${runId} is not continued here (continue: false): continue it with slipway/run and run-id: ${runId}`,
    );
    return;
  }
  const refusal = await continueRefusal(run);
  if (refusal) {
    core.setFailed(`the decision counted, but run ${runId} was not continued: ${refusal}`);
    return;
  }
  maskPipelineSecrets((await runContextLoader(source)(run)).pipeline);
  core.info(`continuing run ${runId}: ${run.pipeline} at ${run.sha.slice(0, 12)} (${run.branch})`);
  await executeAndReport({
    store,
    runId,
    source,
    actor,
    dashboardUrl: optionalInput('dashboard-url'),
    ...(decision === 'reject' ? { expected: ['rejected' as const] } : {}),
  });
}

/**
 * Who decides: the workflow's actor, only when the run was triggered by that same person. A re-run keeps
 * the original `GITHUB_ACTOR` while `GITHUB_TRIGGERING_ACTOR` names whoever re-ran it, so a re-run by
 * someone else would otherwise decide in the original actor's name. GitHub always sets both; Gitea's
 * act_runner may not set the triggering actor, and is then taken at its actor.
 */
function workflowActor(env: NodeJS.ProcessEnv): string {
  const actor = env.GITHUB_ACTOR;
  if (!actor) throw new Error('GITHUB_ACTOR is not set: this action runs in a workflow');
  const triggering = env.GITHUB_TRIGGERING_ACTOR;
  if (triggering === undefined && env.GITEA_ACTIONS !== 'true')
    throw new Error('GITHUB_TRIGGERING_ACTOR is not set: expected the runner to name who triggered this run');
  if (triggering !== undefined && triggering !== actor)
    throw new Error(
      `this run was triggered by ${triggering} on behalf of ${actor} (a re-run): expected ${actor} to trigger it, so that the decision is theirs`,
    );
  return actor;
}

/** With a token, the actor must have write permission on the repository, as for issue comments. */
async function requireWrite(kind: ForgeKind, login: string): Promise<void> {
  const token = optionalInput('token');
  if (!token) return;
  core.setSecret(token);
  const env = process.env;
  const url = kind === 'gitea' ? env.GITHUB_SERVER_URL : (env.GITHUB_API_URL ?? 'https://api.github.com');
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (!url || !owner || !repo) throw new Error('GITHUB_SERVER_URL and GITHUB_REPOSITORY must be set');
  const permission = await createForge(kind, { url, token }).permission({ owner, repo }, login);
  if (permission !== 'write' && permission !== 'admin') {
    throw new Error(`${login} has ${permission} permission on ${owner}/${repo}; deciding needs write`);
  }
}

main().catch((err: unknown) => core.setFailed(errorMessage(err)));
