import * as core from '@actions/core';
import { submitDecision } from '../../../src/approvals/service.ts';
import { createForge } from '../../../src/forge/create.ts';
import type { ForgeKind } from '../../../src/forge/types.ts';
import { errorMessage } from '../../../src/util/errors.ts';
import { actionPolicy, actionStore, optionalInput, repoRoot } from '../../shared/inputs.ts';

/**
 * The `slipway/approve` action: a decision on a run's gate by the person the workflow's actor (a login the
 * forge verified) maps to, judged by the same policy as the CLI, dashboard and issue comments.
 */
async function main(): Promise<void> {
  const root = repoRoot();
  const runId = Number(core.getInput('run-id', { required: true }));
  if (!Number.isInteger(runId) || runId <= 0) throw new Error(`run-id: expected a run number`);
  const decision = core.getInput('decision') || 'approve';
  if (decision !== 'approve' && decision !== 'reject')
    throw new Error(`decision: expected approve or reject`);
  const login = workflowActor(process.env);
  const job = optionalInput('job');
  const planHash = optionalInput('plan-hash');
  const reason = optionalInput('reason');
  // Gitea's act_runner sets GITEA_ACTIONS.
  const kind: ForgeKind = process.env.GITEA_ACTIONS === 'true' ? 'gitea' : 'github';
  await requireWrite(kind, login);

  const store = actionStore(root);
  try {
    const outcome = await submitDecision(store, {
      runId,
      ...(job ? { job } : {}),
      actor: { identity: { channel: kind, login }, channel: 'forge' },
      decision,
      ...(reason ? { reason } : {}),
      policy: actionPolicy(root),
      ...(planHash ? { expectedPlanHash: planHash } : {}),
    });
    core.setOutput('accepted', String(outcome.accepted));
    core.setOutput('gate-status', outcome.gate?.status ?? '');
    if (outcome.accepted) core.info(outcome.reason);
    else core.setFailed(`not counted: ${outcome.reason}`);
  } finally {
    store.close();
  }
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
