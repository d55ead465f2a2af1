import { contactsOf } from '../approvals/people.ts';
import type { PolicySource } from '../approvals/policy-source.ts';
import { environmentApprovers } from '../approvals/trusted-policy.ts';
import type { NotifyEventName } from '../config/schema/notifications.ts';
import type { CommitState, DeploymentState, Forge, RepoId } from '../forge/types.ts';
import type { ForgeLinks } from '../store/forge-links.ts';
import type { Store } from '../store/store.ts';
import type { DriftCheckRecord, GateRecord, JobRecord, RunEvent, RunRecord } from '../store/types.ts';
import { errorMessage } from '../util/errors.ts';
import type { Service } from './server.ts';

/** Label of approval issues, so they can be found and filtered on the forge. */
export const APPROVAL_LABEL = 'slipway-approval';

/** Label of drift issues. */
export const DRIFT_LABEL = 'slipway-drift';

/** What the reporter needs. */
export interface ForgeReporterOptions {
  store: Store;
  links: ForgeLinks;
  forge: Forge;
  repo: RepoId;
  /** Where a run can be looked at (the dashboard), for status and deployment links. */
  runUrl?(runId: number): string | undefined;
  /** Where an environment answers (slipway.yml `environments.<env>.url`). */
  environmentUrls: Readonly<Record<string, string>>;
  pollMs: number;
  /**
   * The policy in force: whom a gate, a failure or drift concerns (people's forge logins, teams) and
   * `notifications.forge` (mention, assign). Without it nobody is mentioned.
   */
  policy?: PolicySource;
  /** Where an environment's page is (the dashboard), for drift issues. */
  environmentUrl?(env: string): string | undefined;
  log(line: string): void;
}

type JobState = { commit: CommitState; deploy?: DeploymentState; text: string };

/** How each job status shows on the forge: a commit status, and a deployment state for environment jobs. */
const JOB_STATES: Record<string, JobState> = {
  queued: { commit: 'pending', deploy: 'queued', text: 'waiting for the environment lock' },
  waiting: { commit: 'pending', deploy: 'queued', text: 'waiting for approval' },
  running: { commit: 'pending', deploy: 'in_progress', text: 'running' },
  succeeded: { commit: 'success', deploy: 'success', text: 'succeeded' },
  failed: { commit: 'failure', deploy: 'failure', text: 'failed' },
  rejected: { commit: 'error', deploy: 'error', text: 'rejected' },
  canceled: { commit: 'error', deploy: 'error', text: 'canceled' },
  expired: { commit: 'error', deploy: 'error', text: 'approval expired' },
  interrupted: { commit: 'error', deploy: 'error', text: 'interrupted' },
  skipped: { commit: 'error', text: 'skipped: a job it needs did not succeed' },
};

/**
 * Reports forge-triggered runs back to the forge, from the store's event log: a commit status per job,
 * a deployment per environment (Gitea: a `deploy/<env>` status), and an issue per approval gate that is
 * closed with the outcome. Events are reported one at a time in order, and a run's cursor is stored after
 * each, so transitions reach the forge in the order they happened and a restart does not repeat them.
 */
export class ForgeReporter implements Service {
  readonly name = 'forge reporter';
  readonly #o: ForgeReporterOptions;
  #timer?: NodeJS.Timeout;
  #running?: Promise<void>;
  #lastSeen = -1;
  #stopped = false;

  constructor(options: ForgeReporterOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer = setInterval(() => this.tick(), this.#o.pollMs);
    this.tick();
  }

  /** Reports what is new, unless a report is under way. */
  tick(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#running ??= this.#report().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Resolves once everything in the store now is reported. */
  async flush(): Promise<void> {
    await this.#running;
    this.#lastSeen = -1;
    await this.tick();
  }

  /** Stops polling after a last report of what the stopping worker recorded. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    try {
      await this.flush();
    } finally {
      this.#stopped = true;
    }
  }

  async #report(): Promise<void> {
    const { store, links } = this.#o;
    const last = store.events.lastId();
    if (last === this.#lastSeen) return;
    const runs = store.runs
      .list({ limit: 100 })
      // Runs the forge started, and changes of the served repository's policy (decided there too).
      .filter((r) => r.channel === 'forge' || r.kind === 'policy')
      .reverse();
    for (const run of runs) {
      for (const e of store.events.after(run.id, links.cursor(run.id), 500, ['run', 'job', 'gate'])) {
        if (this.#stopped) return;
        try {
          await this.#event(run, e);
        } catch (err) {
          // Left unreported for the next tick: the forge may be down for a while.
          this.#o.log(`forge: run ${run.id}: ${errorMessage(err)}`);
          return;
        }
        links.setCursor(run.id, e.id);
      }
    }
    this.#lastSeen = last;
  }

  /**
   * A drift check's outcome as a commit status on the commit it planned (`slipway/<pipeline>/drift/<env>`):
   * success in sync, failure on drift, error when the check failed.
   */
  async reportDrift(c: DriftCheckRecord): Promise<void> {
    const state: CommitState = c.status === 'clean' ? 'success' : c.status === 'drift' ? 'failure' : 'error';
    const text =
      c.status === 'clean'
        ? 'in sync'
        : c.status === 'drift'
          ? `drift: ${c.changes} change${c.changes === 1 ? '' : 's'} (slipway drift ${c.environment})`
          : `check failed: ${c.reason ?? ''}`;
    await this.#o.forge.setCommitStatus(this.#o.repo, c.sha, {
      context: `slipway/${c.pipeline}/drift/${c.environment}`,
      state,
      description: `${c.environment}: ${text}`,
    });
    if (c.status !== 'failed') await this.#driftIssue(c);
  }

  /**
   * One open issue per pipeline and environment while drift lasts: opened (approvers of the environment
   * mentioned and assigned) when drift is found, told of drift that changed, closed once in sync again.
   */
  async #driftIssue(c: DriftCheckRecord): Promise<void> {
    const { forge, links, repo } = this.#o;
    const open = links.driftIssue(c.pipeline, c.environment);
    if (c.status === 'clean') {
      if (!open) return;
      await forge.commentOnIssue(
        repo,
        open.number,
        `In sync again at ${c.sha.slice(0, 7)} (${new Date(c.checkedAt).toISOString()}).`,
      );
      await forge.closeIssue(repo, open.number);
      links.updateDriftIssue(c.pipeline, c.environment, undefined);
      return;
    }
    if (open?.fingerprint === c.fingerprint) return;
    const policy = await this.#o.policy?.current();
    const approvers = policy ? environmentApprovers(policy, c.environment) : [];
    const reach = await this.#reach(approvers, ['drift']);
    const body = driftIssueBody(c, reach.mention, this.#o.environmentUrl?.(c.environment));
    if (open) {
      await forge.commentOnIssue(repo, open.number, body);
      links.updateDriftIssue(c.pipeline, c.environment, c.fingerprint);
      return;
    }
    const issue = await forge.openIssue(repo, {
      title: `Drift in ${c.environment}: ${c.changes} change${c.changes === 1 ? '' : 's'} (${c.pipeline})`,
      body,
      labels: [DRIFT_LABEL],
      assignees: reach.assign,
    });
    links.addDriftIssue(c.pipeline, c.environment, {
      number: issue.number,
      url: issue.url,
      fingerprint: c.fingerprint,
    });
    this.#o.log(`forge: drift of ${c.pipeline} in ${c.environment}: opened ${issue.url}`);
  }

  async #event(run: RunRecord, e: RunEvent): Promise<void> {
    if (e.kind === 'run' && e.status === 'queued') {
      for (const job of this.#o.store.runs.jobs(run.id)) {
        await this.#commitStatus(run, job.name, { commit: 'pending', text: 'queued' });
      }
    } else if (
      e.kind === 'run' &&
      (e.status === 'failed' ||
        (e.status === 'succeeded' && run.rollback && run.rollback.kind !== 'redeploy'))
    ) {
      await this.#tellGateIssues(run, e.status);
    } else if (e.kind === 'job' && e.job && e.status && JOB_STATES[e.status]) {
      const job = this.#o.store.runs.jobs(run.id).find((j) => j.name === e.job);
      const state = JOB_STATES[e.status]!;
      await this.#commitStatus(run, e.job, state);
      if (job?.environment) await this.#deployment(run, job, state);
    } else if (e.kind === 'gate' && e.job) {
      const gate = this.#o.store.gates.latest(run.id, e.job, e.step);
      if (!gate) return;
      if (e.status === 'pending') await this.#openIssue(run, gate);
      else if (e.status) await this.#closeIssue(gate, e.status, e.text);
    }
  }

  async #commitStatus(run: RunRecord, job: string, state: Pick<JobState, 'commit' | 'text'>) {
    // An app repository's commit is not in the forge repository reported to (the ops one): its gates'
    // issues are, its statuses and deployments are not.
    if (run.app) return;
    const url = this.#o.runUrl?.(run.id);
    await this.#o.forge.setCommitStatus(this.#o.repo, run.sha, {
      context: `slipway/${run.pipeline}/${job}`,
      state: state.commit,
      description: `run ${run.id}: ${state.text}`,
      ...(url ? { targetUrl: url } : {}),
    });
  }

  async #deployment(run: RunRecord, job: JobRecord, state: JobState) {
    if (run.app) return;
    const { forge, links, repo } = this.#o;
    const env = job.environment!;
    let id = links.deployment(run.id, env);
    if (!state.deploy) {
      if (!id) return;
      state = { ...state, deploy: 'error' };
    }
    if (!id) {
      const created = await forge.createDeployment(repo, run.sha, env, `${run.pipeline} run ${run.id}`);
      id = created.id;
      links.setDeployment(run.id, env, id);
    }
    const logUrl = this.#o.runUrl?.(run.id);
    const environmentUrl = this.#o.environmentUrls[env];
    await forge.setDeploymentStatus(
      repo,
      { id, sha: run.sha, environment: env },
      {
        state: state.deploy!,
        description: `${job.name}: ${state.text}`,
        ...(logUrl ? { logUrl } : {}),
        ...(environmentUrl ? { environmentUrl } : {}),
      },
    );
  }

  /**
   * The forge logins of the persons `principals` name, to mention and to assign, as `notifications.forge`
   * and `notifications.events` (`event`) ask.
   */
  async #reach(
    principals: readonly string[],
    asked: readonly NotifyEventName[],
  ): Promise<{ mention: string[]; assign: string[] }> {
    const policy = await this.#o.policy?.current();
    if (!policy) return { mention: [], assign: [] };
    const { forge, events } = policy.project.notifications;
    if (!asked.some((e) => events.includes(e))) return { mention: [], assign: [] };
    const logins = contactsOf(policy.project, principals, this.#o.forge.kind);
    return { mention: forge.mention ? logins : [], assign: forge.assign ? logins.slice(0, 10) : [] };
  }

  async #openIssue(run: RunRecord, gate: GateRecord) {
    const { forge, links, repo } = this.#o;
    if (links.issueOfGate(gate.id)) return;
    const job = this.#o.store.runs.jobs(run.id).find((j) => j.name === gate.job);
    const reach = await this.#reach(gate.policy.approvers, ['gate']);
    const issue = await forge.openIssue(repo, {
      title: `Approve ${run.pipeline} / ${gate.job}${job?.environment ? ` to ${job.environment}` : ''} at ${run.sha.slice(0, 7)} (run ${run.id})`,
      body: approvalIssueBody(run, gate, this.#o.runUrl?.(run.id), reach.mention),
      labels: [APPROVAL_LABEL],
      assignees: reach.assign,
    });
    links.addIssue({
      gateId: gate.id,
      repo: `${repo.owner}/${repo.repo}`,
      number: issue.number,
      url: issue.url,
    });
    this.#o.log(`forge: gate of run ${run.id} job ${gate.job}: opened ${issue.url}`);
  }

  /** A failed run or a rollback, told on the run's gate issues with the approvers mentioned. */
  async #tellGateIssues(run: RunRecord, status: string) {
    const { forge, links, repo, store } = this.#o;
    const gates = store.gates.ofRun(run.id);
    const issues = [...new Set(gates.flatMap((g) => links.issueOfGate(g.id)?.number ?? []))];
    if (issues.length === 0) return;
    const failed = status === 'failed';
    const rolledBack = store.runs.rolledBackHosts(run.id);
    const asked: NotifyEventName[] = !failed
      ? ['rollback']
      : rolledBack.length
        ? ['failure', 'rollback']
        : ['failure'];
    const { mention } = await this.#reach(
      gates.flatMap((g) => g.policy.approvers),
      asked,
    );
    const who = mention.length ? `${mention.map((l) => `@${l}`).join(' ')}: ` : '';
    const text = failed
      ? `${who}run ${run.id} failed: ${run.reason ?? 'failed'}${rolledBack.length ? ` (rolled back on ${rolledBack.join(', ')})` : ''}.`
      : `${who}run ${run.id} rolled back to release ${run.rollback?.releaseId}.`;
    for (const n of issues) await forge.commentOnIssue(repo, n, text);
  }

  async #closeIssue(gate: GateRecord, status: string, reason?: string) {
    const { forge, links, repo } = this.#o;
    const link = links.issueOfGate(gate.id);
    if (!link || link.closed) return;
    await forge.commentOnIssue(repo, link.number, `Gate ${status}${reason ? `: ${reason}` : ''}.`);
    await forge.closeIssue(repo, link.number);
    links.markClosed(gate.id);
  }
}

/** The body of a drift issue: what the scheduled plan found, whom it concerns, and how to correct it. */
export function driftIssueBody(c: DriftCheckRecord, mention: readonly string[], pageUrl?: string): string {
  const lines = [
    `The scheduled plan of **${c.pipeline}** (${c.branch} at \`${c.sha}\`) found ${c.changes} change${c.changes === 1 ? '' : 's'} in **${c.environment}** at ${new Date(c.checkedAt).toISOString()}. Nothing was applied.`,
    '',
  ];
  for (const j of c.plan) {
    for (const step of j.steps.filter((s) => s.changes.length > 0)) {
      lines.push(`**${j.job} / ${step.name}** (${step.kind})`);
      for (const ch of step.changes)
        lines.push(`- ${ch.host ? `${ch.host}: ` : ''}${ch.action} ${ch.subject}`);
      lines.push('');
    }
  }
  lines.push(
    'A run of the pipeline corrects it, through its gates; this issue closes when a check finds it in sync.',
  );
  if (mention.length) lines.push('', `cc ${mention.map((l) => `@${l}`).join(' ')}`);
  if (pageUrl) lines.push('', `Environment: ${pageUrl}`);
  return lines.join('\n');
}

/** The body of an approval issue: the plan, who may decide (mentioned where they have a login here), and how. */
export function approvalIssueBody(
  run: RunRecord,
  gate: GateRecord,
  runUrl?: string,
  mention: readonly string[] = [],
): string {
  const p = gate.policy;
  const lines = [
    `Run ${run.id} of **${run.pipeline}** at \`${run.sha}\` (${run.branch}) waits for approval before job **${gate.job}**.`,
    '',
    `Approvers: ${p.approvers.map((a) => `\`${a}\``).join(', ')}; ${p.required} approval${p.required > 1 ? 's' : ''} needed` +
      `${p.allowSelfApproval ? '' : '; the commit author may not approve'}. Expires ${new Date(gate.expiresAt).toISOString()}.`,
    '',
    '### Plan',
    '',
  ];
  for (const step of gate.plan) {
    lines.push(`**${step.name}** (${step.kind})`);
    if (step.changes.length === 0) lines.push('- no changes');
    for (const c of step.changes) lines.push(`- ${c.host ? `${c.host}: ` : ''}${c.action} ${c.subject}`);
    lines.push('');
  }
  lines.push(
    'Comment `/approve` to approve, or `/reject <reason>` to reject. Edited or deleted comments are not counted.',
  );
  if (mention.length) lines.push('', `cc ${mention.map((l) => `@${l}`).join(' ')}`);
  if (runUrl) lines.push('', `Run: ${runUrl}`);
  return lines.join('\n');
}
