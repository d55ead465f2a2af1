import * as core from '@actions/core';
import { submitDecision } from '../../../src/approvals/service.ts';
import { configTeams, type TeamResolver } from '../../../src/approvals/teams.ts';
import { loadRepo } from '../../../src/config/load-repo.ts';
import { createForge } from '../../../src/forge/create.ts';
import { forgeTeams } from '../../../src/server/forge-comments.ts';
import { actionStore, optionalInput, repoRoot } from '../../shared/inputs.ts';

/**
 * The `slipway/approve` action: a decision on a run's gate by the workflow's actor (a login the forge
 * verified), judged by the same policy as the CLI, dashboard and issue comments.
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

  const store = actionStore(root);
  try {
    const outcome = await submitDecision(store, {
      runId,
      ...(job ? { job } : {}),
      actor: { login, channel: 'forge' },
      decision,
      ...(reason ? { reason } : {}),
      ...(planHash ? { expectedPlanHash: planHash } : {}),
      teams: await teams(root, login),
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

/** Team membership from the forge when a token is given, else from slipway.yml `teams`. */
async function teams(root: string, login: string): Promise<TeamResolver> {
  const token = optionalInput('token');
  if (token) {
    core.setSecret(token);
    const env = process.env;
    // Gitea's act_runner sets GITEA_ACTIONS; its API lives under the server URL.
    const gitea = env.GITEA_ACTIONS === 'true';
    const url = gitea ? env.GITHUB_SERVER_URL : (env.GITHUB_API_URL ?? 'https://api.github.com');
    if (!url) throw new Error('GITHUB_SERVER_URL is not set');
    return forgeTeams(createForge(gitea ? 'gitea' : 'github', { url, token }), login);
  }
  const loaded = await loadRepo(root);
  return configTeams(loaded.ok ? loaded.repo.project.teams : {});
}

main().catch((err: unknown) => core.setFailed(err instanceof Error ? err.message : String(err)));
