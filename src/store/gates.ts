import type { DatabaseSync } from 'node:sqlite';
import { transaction } from './database.ts';
import type { EventLog } from './events.ts';
import { opt, type Row } from './rows.ts';
import type {
  ApprovalRecord,
  AuditRecord,
  Channel,
  GatePolicy,
  GateRecord,
  GateStatus,
  PlannedStep,
} from './types.ts';

/** A gate round to open. */
export interface NewGate {
  runId: number;
  job: string;
  step?: number;
  policy: GatePolicy;
  plan: PlannedStep[];
  planHash: string;
  sha: string;
  reachedAt: number;
}

/** An audit line to append. */
export type NewAudit = Omit<AuditRecord, 'id' | 'at'> & { at?: number };

/** Approval gates, the decisions on them, and the append-only audit trail. */
export class Gates {
  readonly #db: DatabaseSync;
  readonly #events: EventLog;

  constructor(db: DatabaseSync, events: EventLog) {
    this.#db = db;
    this.#events = events;
  }

  /** Opens a new round of a gate (the previous round, if any, must already be decided or void). */
  open(gate: NewGate): GateRecord {
    return transaction(this.#db, () => {
      const prev = this.latest(gate.runId, gate.job, gate.step);
      const opensAt = gate.reachedAt + gate.policy.waitMs;
      const { lastInsertRowid } = this.#db
        .prepare(
          `INSERT INTO gates (run_id, job, step, round, status, policy, plan, plan_hash, sha, reached_at, opens_at, expires_at)
             VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          gate.runId,
          gate.job,
          gate.step ?? null,
          (prev?.round ?? 0) + 1,
          JSON.stringify(gate.policy),
          JSON.stringify(gate.plan),
          gate.planHash,
          gate.sha,
          gate.reachedAt,
          opensAt,
          gate.reachedAt + gate.policy.timeoutMs,
        );
      this.#events.append([
        {
          runId: gate.runId,
          kind: 'gate',
          job: gate.job,
          step: gate.step,
          status: 'pending',
          ts: gate.reachedAt,
        },
      ]);
      return this.get(Number(lastInsertRowid))!;
    });
  }

  /**
   * Opens a gate round already approved by the approvals of `from`, a gate of the run this one re-runs, with
   * the audit line saying whose approvals were carried over and why they stand, in one transaction.
   */
  openCarried(
    gate: NewGate,
    from: GateRecord,
    approvals: readonly ApprovalRecord[],
    reason: string,
  ): GateRecord {
    return transaction(this.#db, () => {
      const opened = this.open(gate);
      this.#db.prepare('UPDATE gates SET carried_from = ? WHERE id = ?').run(from.id, opened.id);
      for (const a of approvals) this.addApproval({ ...a, gateId: opened.id });
      this.setStatus(opened.id, 'approved', reason, gate.reachedAt);
      this.audit({
        at: gate.reachedAt,
        runId: gate.runId,
        gateId: opened.id,
        job: gate.job,
        actor: 'slipway',
        channel: 'system',
        action: 'carry-over',
        outcome: 'recorded',
        reason,
      });
      return this.get(opened.id)!;
    });
  }

  /** One gate round with its decisions. */
  get(id: number): GateRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM gates WHERE id = ?').get(id) as Row | undefined;
    return row && this.#toGate(row);
  }

  /** The latest round of the gate in front of a job (step undefined) or of an approval step. */
  latest(runId: number, job: string, step?: number): GateRecord | undefined {
    const row = this.#db
      .prepare('SELECT * FROM gates WHERE run_id = ? AND job = ? AND step IS ? ORDER BY round DESC LIMIT 1')
      .get(runId, job, step ?? null) as Row | undefined;
    return row && this.#toGate(row);
  }

  /** Every gate round of a run, oldest first. */
  ofRun(runId: number): GateRecord[] {
    return (this.#db.prepare('SELECT * FROM gates WHERE run_id = ? ORDER BY id').all(runId) as Row[]).map(
      (r) => this.#toGate(r),
    );
  }

  /** Pending gates of every run, oldest first. */
  pending(): GateRecord[] {
    return (this.#db.prepare(`SELECT * FROM gates WHERE status = 'pending' ORDER BY id`).all() as Row[]).map(
      (r) => this.#toGate(r),
    );
  }

  /** Decides a gate round; only a pending round changes. True when it changed. */
  setStatus(id: number, status: GateStatus, reason?: string, now = Date.now()): boolean {
    return transaction(this.#db, () => {
      const { changes } = this.#db
        .prepare(
          `UPDATE gates SET status = ?, reason = ?, decided_at = ? WHERE id = ? AND (status = 'pending' OR (status = 'approved' AND ? IN ('void', 'canceled')))`,
        )
        .run(status, reason ?? null, now, id, status);
      if (changes === 1) {
        const g = this.get(id)!;
        this.#events.append([
          { runId: g.runId, kind: 'gate', job: g.job, step: g.step, status, text: reason, ts: now },
        ]);
      }
      return changes === 1;
    });
  }

  /** Voids or expires a gate round on Slipway's own account, with its audit line, in one transaction. */
  closeBySystem(gate: GateRecord, status: 'void' | 'expired', reason: string, now = Date.now()): void {
    transaction(this.#db, () => {
      this.setStatus(gate.id, status, reason, now);
      this.audit({
        at: now,
        runId: gate.runId,
        gateId: gate.id,
        job: gate.job,
        actor: 'slipway',
        channel: 'system',
        action: status === 'void' ? 'void' : 'expire',
        outcome: 'recorded',
        reason,
      });
    });
  }

  /** Records an accepted decision on a gate round. */
  addApproval(a: Omit<ApprovalRecord, 'id'>): void {
    this.#db
      .prepare(
        'INSERT INTO approvals (gate_id, login, channel, decision, sha, plan_hash, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(a.gateId, a.login, a.channel, a.decision, a.sha, a.planHash, a.reason ?? null, a.at);
  }

  /** Appends to the audit trail (which refuses updates and deletes). */
  audit(entry: NewAudit): void {
    this.#db
      .prepare(
        'INSERT INTO audit (at, run_id, gate_id, job, actor, channel, action, outcome, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        entry.at ?? Date.now(),
        entry.runId ?? null,
        entry.gateId ?? null,
        entry.job ?? null,
        entry.actor,
        entry.channel,
        entry.action,
        entry.outcome,
        entry.reason ?? null,
      );
  }

  /** The audit trail, oldest first (of one run, or all). */
  auditTrail(runId?: number): AuditRecord[] {
    const rows =
      runId === undefined
        ? this.#db.prepare('SELECT * FROM audit ORDER BY id').all()
        : this.#db.prepare('SELECT * FROM audit WHERE run_id = ? ORDER BY id').all(runId);
    return (rows as Row[]).map((r) => ({
      id: r.id as number,
      at: r.at as number,
      runId: opt(r.run_id),
      gateId: opt(r.gate_id),
      job: opt(r.job),
      actor: r.actor as string,
      channel: r.channel as Channel,
      action: r.action as string,
      outcome: r.outcome as AuditRecord['outcome'],
      reason: opt(r.reason),
    }));
  }

  #origin(gateId: number): { gateId: number; runId: number } {
    const row = this.#db.prepare('SELECT run_id FROM gates WHERE id = ?').get(gateId) as Row;
    return { gateId, runId: row.run_id as number };
  }

  #toGate(r: Row): GateRecord {
    const approvals = (
      this.#db.prepare('SELECT * FROM approvals WHERE gate_id = ? ORDER BY id').all(r.id as number) as Row[]
    ).map(
      (a): ApprovalRecord => ({
        id: a.id as number,
        gateId: a.gate_id as number,
        login: a.login as string,
        channel: a.channel as Channel,
        decision: a.decision as ApprovalRecord['decision'],
        sha: a.sha as string,
        planHash: a.plan_hash as string,
        reason: opt(a.reason),
        at: a.at as number,
      }),
    );
    return {
      id: r.id as number,
      runId: r.run_id as number,
      job: r.job as string,
      step: opt(r.step),
      round: r.round as number,
      status: r.status as GateStatus,
      policy: JSON.parse(r.policy as string) as GatePolicy,
      plan: JSON.parse(r.plan as string) as PlannedStep[],
      planHash: r.plan_hash as string,
      sha: r.sha as string,
      reachedAt: r.reached_at as number,
      opensAt: r.opens_at as number,
      expiresAt: r.expires_at as number,
      decidedAt: opt(r.decided_at),
      reason: opt(r.reason),
      approvals,
      ...(r.carried_from === null ? {} : { carriedFrom: this.#origin(r.carried_from as number) }),
    };
  }
}
