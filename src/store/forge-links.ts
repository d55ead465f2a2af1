import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from './database.ts';
import type { Row } from './rows.ts';

// Kept out of MIGRATIONS while the forge reporter is the tables' only user; IF NOT EXISTS makes opening idempotent.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS forge_issues (
    gate_id INTEGER PRIMARY KEY,
    repo TEXT NOT NULL,
    number INTEGER NOT NULL,
    url TEXT NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0,
    UNIQUE (repo, number)
  );
  CREATE TABLE IF NOT EXISTS forge_deployments (
    run_id INTEGER NOT NULL,
    environment TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    PRIMARY KEY (run_id, environment)
  );
  CREATE TABLE IF NOT EXISTS forge_comments (
    comment_id INTEGER PRIMARY KEY
  );
  CREATE TABLE IF NOT EXISTS forge_cursors (
    run_id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS forge_drift_issues (
    pipeline TEXT NOT NULL,
    environment TEXT NOT NULL,
    number INTEGER NOT NULL,
    url TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0
  );
`;

/** The issue that tells of drift in one environment, while it lasts. */
export interface DriftIssueLink {
  number: number;
  url: string;
  /** The drift it last told of. */
  fingerprint: string;
}

/** An approval issue opened for a gate round. */
export interface ForgeIssueLink {
  gateId: number;
  repo: string;
  number: number;
  url: string;
  closed: boolean;
}

/**
 * What the forge reporter remembers across restarts: the issue of each gate, the deployment of each run and
 * environment, and how far into each run's events it has reported (so nothing is reported twice).
 */
export class ForgeLinks {
  readonly #db: DatabaseSync;

  constructor(path: string) {
    this.#db = openDatabase(path);
    this.#db.exec(SCHEMA);
  }

  /** Records the issue opened for a gate. */
  addIssue(link: Omit<ForgeIssueLink, 'closed'>): void {
    this.#db
      .prepare('INSERT INTO forge_issues (gate_id, repo, number, url) VALUES (?, ?, ?, ?)')
      .run(link.gateId, link.repo, link.number, link.url);
  }

  /** The issue of a gate. */
  issueOfGate(gateId: number): ForgeIssueLink | undefined {
    const r = this.#db.prepare('SELECT * FROM forge_issues WHERE gate_id = ?').get(gateId) as Row | undefined;
    return r && toIssue(r);
  }

  /** The gate an issue was opened for. */
  gateOfIssue(repo: string, number: number): ForgeIssueLink | undefined {
    const r = this.#db
      .prepare('SELECT * FROM forge_issues WHERE lower(repo) = lower(?) AND number = ?')
      .get(repo, number) as Row | undefined;
    return r && toIssue(r);
  }

  /** Notes that a gate's issue is closed. */
  markClosed(gateId: number): void {
    this.#db.prepare('UPDATE forge_issues SET closed = 1 WHERE gate_id = ?').run(gateId);
  }

  /** Approval issues not closed yet (the comment poller reads these). */
  openIssues(): ForgeIssueLink[] {
    return (
      this.#db.prepare('SELECT * FROM forge_issues WHERE closed = 0 ORDER BY gate_id').all() as Row[]
    ).map(toIssue);
  }

  /** Notes that a comment was judged; false when it already was (a webhook and a poll both saw it). */
  markCommentJudged(commentId: number): boolean {
    const { changes } = this.#db
      .prepare('INSERT INTO forge_comments (comment_id) VALUES (?) ON CONFLICT DO NOTHING')
      .run(commentId);
    return changes === 1;
  }

  /** Records the deployment of a run to an environment. */
  setDeployment(runId: number, environment: string, deploymentId: string): void {
    this.#db
      .prepare(
        'INSERT OR REPLACE INTO forge_deployments (run_id, environment, deployment_id) VALUES (?, ?, ?)',
      )
      .run(runId, environment, deploymentId);
  }

  /** The deployment of a run to an environment. */
  deployment(runId: number, environment: string): string | undefined {
    const r = this.#db
      .prepare('SELECT deployment_id FROM forge_deployments WHERE run_id = ? AND environment = ?')
      .get(runId, environment) as Row | undefined;
    return r?.deployment_id as string | undefined;
  }

  /** The last event of a run already reported (0 when none). */
  cursor(runId: number): number {
    const r = this.#db.prepare('SELECT event_id FROM forge_cursors WHERE run_id = ?').get(runId) as
      | Row
      | undefined;
    return (r?.event_id as number | undefined) ?? 0;
  }

  /** Moves a run's cursor past a reported event. */
  setCursor(runId: number, eventId: number): void {
    this.#db
      .prepare(
        'INSERT INTO forge_cursors (run_id, event_id) VALUES (?, ?) ON CONFLICT(run_id) DO UPDATE SET event_id = excluded.event_id',
      )
      .run(runId, eventId);
  }

  /** The open drift issue of a pipeline in an environment, if any. */
  driftIssue(pipeline: string, environment: string): DriftIssueLink | undefined {
    const r = this.#db
      .prepare(
        'SELECT * FROM forge_drift_issues WHERE pipeline = ? AND environment = ? AND closed = 0 ORDER BY rowid DESC LIMIT 1',
      )
      .get(pipeline, environment) as Row | undefined;
    return r && { number: r.number as number, url: r.url as string, fingerprint: r.fingerprint as string };
  }

  /** Records the drift issue opened for a pipeline in an environment. */
  addDriftIssue(pipeline: string, environment: string, link: DriftIssueLink): void {
    this.#db
      .prepare(
        'INSERT INTO forge_drift_issues (pipeline, environment, number, url, fingerprint) VALUES (?, ?, ?, ?, ?)',
      )
      .run(pipeline, environment, link.number, link.url, link.fingerprint);
  }

  /** Notes the drift an open issue now tells of, or (fingerprint undefined) that it is closed. */
  updateDriftIssue(pipeline: string, environment: string, fingerprint: string | undefined): void {
    this.#db
      .prepare(
        `UPDATE forge_drift_issues SET fingerprint = coalesce(?, fingerprint), closed = ? WHERE pipeline = ? AND environment = ? AND closed = 0`,
      )
      .run(fingerprint ?? null, fingerprint === undefined ? 1 : 0, pipeline, environment);
  }

  close(): void {
    this.#db.close();
  }
}

function toIssue(r: Row): ForgeIssueLink {
  return {
    gateId: r.gate_id as number,
    repo: r.repo as string,
    number: r.number as number,
    url: r.url as string,
    closed: r.closed === 1,
  };
}
