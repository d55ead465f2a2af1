import { type Actor, decide } from '../approvals/policy.ts';
import type { PolicySource } from '../approvals/policy-source.ts';
import { decisionRequest, submitDecision } from '../approvals/service.ts';
import { startRefusal } from '../approvals/starters.ts';
import type { RunFacets } from '../store/run-facets.ts';
import type { Store } from '../store/store.ts';
import type { DriftCheckRecord, GateRecord, RunRecord, RunDetail as StoredRun } from '../store/types.ts';
import { FINAL_RUN_STATUSES } from '../store/types.ts';
import type { ActionResult, DashboardData, LiveEnvironment } from './data.ts';
import type {
  AuditRow,
  DriftView,
  GateView,
  JobView,
  LogLine,
  ReleaseRow,
  RunFilter,
  RunRow,
} from './views/model.ts';

/** What the store adapter needs besides the store. */
export interface StoreDataOptions {
  store: Store;
  facets: RunFacets;
  /** The policy in force (the default branch): people and teams for every decision. */
  policy: PolicySource;
  /** Called after a decision was accepted, so the run resumes in this process (the engine's resume). */
  onDecision?: (runId: number) => void;
  /** Environments of the ops repository, for the releases page. */
  environments: () => string[];
  /** Starts a rollback run of an environment on behalf of `login`; without it the dashboard offers no rollback. */
  rollback?: DashboardData['rollback'];
  /** Starts a re-run of a failed run's failed jobs on behalf of `login`; without it the dashboard offers none. */
  rerun?: DashboardData['rerun'];
  /** Starts a redeploy of the live release; without it the dashboard offers none. */
  redeploy?: DashboardData['redeploy'];
  /** Starts a run of a pipeline's jobs in an environment; without it the dashboard offers none. */
  startRun?: DashboardData['startRun'];
  /** What runs where in an environment (read from its hosts) and which pipelines may be started there. */
  live?(env: string): Promise<LiveEnvironment>;
}

/** A drift check as the dashboard shows it. */
function toDriftView(c: DriftCheckRecord): DriftView {
  return {
    pipeline: c.pipeline,
    status: c.status,
    changes: c.changes,
    at: c.checkedAt,
    sha: c.sha,
    branch: c.branch,
    lines: c.plan.flatMap((j) =>
      j.steps.flatMap((st) =>
        st.changes.map((ch) => `${j.job}: ${ch.action} ${ch.host ? `${ch.host}: ` : ''}${ch.subject}`),
      ),
    ),
    ...(c.reason ? { reason: c.reason } : {}),
  };
}

/** The badge of an environment: drift first, then a failed check, else the newest check. */
function worstDrift(checks: readonly DriftCheckRecord[]): DriftView | undefined {
  const worst =
    checks.find((c) => c.status === 'drift') ?? checks.find((c) => c.status === 'failed') ?? checks[0];
  return worst && toDriftView(worst);
}

/** Largest number of runs scanned for one page when filtering by branch or trigger, which the store cannot filter. */
const MAX_SCAN = 5000;

function runId(id: string): number | undefined {
  return /^\d+$/.test(id) ? Number(id) : undefined;
}

function toRow(r: RunRecord): RunRow {
  return {
    id: String(r.id),
    pipeline: r.pipeline,
    sha: r.sha,
    branch: r.branch,
    triggeredBy: r.triggeredBy,
    ...(r.rollback ? { rollbackTo: r.rollback.releaseId } : {}),
    ...(r.rerunOf === undefined ? {} : { rerunOf: String(r.rerunOf) }),
    ...(r.app ? { app: { name: r.app.name, opsSha: r.app.opsSha } } : {}),
    ...(r.rollback?.kind === 'redeploy' ? { redeploy: true } : {}),
    status: r.status,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  };
}

/** Dashboard data read from the store, with decisions through the approval policy. */
export function storeData(opts: StoreDataOptions): DashboardData {
  const { store } = opts;

  /**
   * A start (run, redeploy, rollback, re-run) recorded in the audit, accepted with the run it queued or
   * refused with why (and the run it was asked about, for a re-run).
   */
  const audited =
    <R extends { login: string }>(
      action: string,
      target: (req: R) => string,
      start: (req: R) => Promise<ActionResult>,
      about?: (req: R) => string,
    ) =>
    async (req: R): Promise<ActionResult> => {
      const result = await start(req);
      const subject = runId((result.ok ? result.runId : about?.(req)) ?? '');
      store.gates.audit({
        ...(subject === undefined ? {} : { runId: subject }),
        actor: req.login,
        channel: 'dashboard',
        action,
        outcome: result.ok ? 'accepted' : 'refused',
        reason: `${target(req)}: ${result.ok ? (result.message ?? 'queued') : result.reason}`,
      });
      return result;
    };

  /**
   * Asks the policy (without recording anything: this runs on every page view) whether `login` could approve
   * and could reject now, so the page shows exactly the buttons a POST would be allowed to use.
   */
  const verdicts = async (g: GateRecord, run: RunRecord, login: string) => {
    if (g.status !== 'pending') return { approve: false, reject: false, refusal: undefined };
    const actor: Actor = { identity: { channel: 'dashboard', login }, channel: 'dashboard' };
    const policy = await opts.policy.current().catch(() => undefined);
    if (!policy) return { approve: false, reject: false, refusal: 'the policy in force cannot be read' };
    const ask = (decision: 'approve' | 'reject') =>
      decide(
        decisionRequest(g, store.runs.lineage(run.id), policy, {
          actor,
          decision,
          reason: decision === 'reject' ? 'probe' : undefined,
        }),
      );
    const approve = ask('approve');
    const reject = ask('reject');
    return {
      approve: approve.accepted,
      reject: reject.accepted,
      refusal: approve.accepted ? undefined : approve.reason,
    };
  };

  const gateView = async (g: GateRecord, run: RunRecord, login: string): Promise<GateView> => {
    const may = await verdicts(g, run, login);
    return {
      runId: String(g.runId),
      job: g.job,
      status: g.status,
      sha: g.sha,
      planHash: g.planHash,
      changes: g.plan.flatMap((p) => p.changes),
      required: g.policy.required,
      approvers: g.policy.approvers,
      decisions: g.approvals.map((a) => ({
        login: a.login,
        decision: a.decision,
        channel: a.channel,
        reason: a.reason,
        at: a.at,
      })),
      ...(g.carriedFrom ? { carriedFrom: String(g.carriedFrom.runId), reason: g.reason } : {}),
      canApprove: may.approve,
      canReject: may.reject,
      refusal: may.refusal,
    };
  };

  const jobsOf = (d: StoredRun, login: string): Promise<JobView[]> =>
    Promise.all(
      d.jobs.map(async (j) => {
        // A host's status in a job is the one of the latest step that touched it.
        const hosts = new Map<string, { host: string; status: string; detail?: string }>();
        for (const h of d.hosts
          .filter((h) => h.job === j.name)
          .sort((a, b) => a.idx - b.idx || a.updatedAt - b.updatedAt)) {
          hosts.set(h.host, { host: h.host, status: h.status, detail: h.detail });
        }
        const gate = d.gates.filter((g) => g.job === j.name).at(-1);
        return {
          name: j.name,
          needs: j.needs,
          status: j.status,
          environment: j.environment,
          startedAt: j.startedAt,
          finishedAt: j.finishedAt,
          hosts: [...hosts.values()],
          gate: gate && (await gateView(gate, d.run, login)),
        };
      }),
    );

  const version = (d: StoredRun): string =>
    [
      d.run.status,
      d.jobs.map((j) => `${j.name}:${j.status}`).join(','),
      d.hosts.map((h) => `${h.job}/${h.idx}/${h.host}:${h.status}`).join(','),
      d.gates.map((g) => `${g.id}:${g.status}:${g.approvals.length}`).join(','),
    ].join('|');

  const toLog = (e: {
    id: number;
    job?: string;
    host?: string;
    stream?: string;
    text?: string;
    ts: number;
  }): LogLine => ({
    id: e.id,
    job: e.job,
    host: e.host,
    stream: e.stream ?? 'stdout',
    line: e.text ?? '',
    at: e.ts,
  });

  return {
    listRuns(filter: RunFilter, limit: number, before?: string): RunRow[] {
      const query = {
        pipeline: filter.pipeline,
        status: filter.status ? [filter.status as RunRecord['status']] : undefined,
        beforeId: before === undefined ? undefined : runId(before),
      };
      if (!filter.branch && !filter.triggeredBy) return store.runs.list({ ...query, limit }).map(toRow);
      const out: RunRow[] = [];
      let beforeId = query.beforeId;
      for (let scanned = 0; out.length < limit && scanned < MAX_SCAN; ) {
        const page = store.runs.list({ ...query, beforeId, limit: 500 });
        if (page.length === 0) break;
        scanned += page.length;
        beforeId = page.at(-1)!.id;
        for (const r of page) {
          if (filter.branch && r.branch !== filter.branch) continue;
          if (filter.triggeredBy && r.triggeredBy !== filter.triggeredBy) continue;
          if (out.length < limit) out.push(toRow(r));
        }
      }
      return out;
    },

    pipelines: () => opts.facets.pipelines(),

    async getRun(id: string, login: string, logTail: number) {
      const n = runId(id);
      const d = n === undefined ? undefined : store.detail(n);
      if (!d) return undefined;
      let logs: LogLine[] = [];
      if (logTail > 0) {
        // Keep the last `logTail` lines: the store reads forward from a cursor.
        for (let cursor = 0; ; ) {
          const batch = store.events.after(n!, cursor, 2000, ['log']);
          if (batch.length === 0) break;
          logs = [...logs, ...batch.map(toLog)].slice(-logTail);
          cursor = batch.at(-1)!.id;
        }
      }
      return {
        ...toRow(d.run),
        jobs: await jobsOf(d, login),
        logs,
        error: d.run.reason,
        canRerun: opts.rerun !== undefined && d.run.status === 'failed',
        version: version(d),
      };
    },

    logsAfter(id: string, afterId: number, limit: number): LogLine[] {
      const n = runId(id);
      return n === undefined ? [] : store.events.after(n, afterId, limit, ['log']).map(toLog);
    },

    runState(id: string) {
      const n = runId(id);
      const d = n === undefined ? undefined : store.detail(n);
      return d && { version: version(d), final: FINAL_RUN_STATUSES.includes(d.run.status) };
    },

    async pendingGates(login: string): Promise<GateView[]> {
      const views: GateView[] = [];
      for (const g of store.gates.pending()) {
        const run = store.runs.get(g.runId);
        const view = run && (await gateView(g, run, login));
        if (view && (view.canApprove || view.canReject)) views.push(view);
      }
      return views;
    },

    releases(): ReleaseRow[] {
      return opts.environments().flatMap((env) => {
        const seen = new Set<string>();
        return store.releases.list(env, { limit: 100 }).map((r) => {
          // Newest first, so the first release of each app on each host is the one running.
          const key = `${r.app}\0${r.host}`;
          const current = !seen.has(key);
          seen.add(key);
          return {
            id: r.releaseId,
            environment: r.environment,
            host: r.host,
            app: r.app,
            digest: r.digest,
            runId: r.runId === undefined ? undefined : String(r.runId),
            by: r.approver ?? '',
            at: r.createdAt,
            current,
          };
        });
      });
    },

    audit(limit: number): AuditRow[] {
      return store.gates
        .auditTrail()
        .slice(-limit)
        .reverse()
        .map((a) => ({
          id: a.id,
          at: a.at,
          actor: a.actor,
          channel: a.channel,
          action: a.action,
          target: [a.runId === undefined ? '' : `run ${a.runId}`, a.job ?? ''].filter(Boolean).join(' / '),
          outcome: a.outcome,
          detail: a.reason,
        }));
    },

    async decide(req): Promise<ActionResult> {
      const n = runId(req.runId);
      if (n === undefined) return { ok: false, reason: `no run ${req.runId}` };
      const outcome = await submitDecision(store, {
        runId: n,
        job: req.job,
        actor: { identity: { channel: 'dashboard', login: req.login }, channel: 'dashboard' },
        decision: req.decision,
        reason: req.reason,
        policy: opts.policy,
      });
      if (!outcome.accepted) return { ok: false, reason: outcome.reason };
      opts.onDecision?.(n);
      return { ok: true, message: outcome.reason };
    },

    rollback: opts.rollback && audited('rollback', (r) => `${r.app} in ${r.env}`, opts.rollback),
    redeploy: opts.redeploy && audited('redeploy', (r) => `${r.app} in ${r.env}`, opts.redeploy),
    startRun: opts.startRun && audited('run', (r) => `${r.pipeline} in ${r.env}`, opts.startRun),

    environments: () =>
      opts.environments().map((name) => ({ name, drift: worstDrift(store.drift.latest(name)) })),

    async environment(env, login) {
      if (!opts.environments().includes(env)) return undefined;
      const live = await (opts.live?.(env) ?? Promise.resolve({ apps: [], pipelines: [] }));
      const policy = await opts.policy.current().catch(() => undefined);
      const refusal = policy
        ? startRefusal(policy, { channel: 'dashboard', login }, env)
        : 'the policy in force cannot be read';
      return {
        name: env,
        apps: live.apps,
        releasedApps: [...new Set(store.releases.list(env, { limit: 1000 }).map((r) => r.app))].sort(),
        drift: store.drift.latest(env).map(toDriftView),
        pipelines: live.pipelines,
        canStart: refusal === undefined,
        ...(refusal ? { refusal } : {}),
      };
    },

    rerun:
      opts.rerun &&
      audited(
        'rerun',
        (r) => `run ${r.runId}`,
        opts.rerun,
        (r) => r.runId,
      ),

    auditRefusal(entry) {
      store.gates.audit({
        runId: entry.runId === undefined ? undefined : runId(entry.runId),
        job: entry.job,
        actor: entry.actor,
        channel: 'dashboard',
        action: entry.action,
        outcome: 'refused',
        reason: `${entry.target}: ${entry.detail}`,
      });
    },
  };
}
