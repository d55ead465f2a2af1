/**
 * Versioned schema migrations, applied in order; `PRAGMA user_version` records the last one applied.
 * Never edit a shipped migration: add a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline TEXT NOT NULL,
    pipeline_file TEXT NOT NULL,
    repo_root TEXT NOT NULL,
    inventories_root TEXT,
    sha TEXT NOT NULL,
    branch TEXT NOT NULL,
    author_name TEXT,
    author_email TEXT,
    triggered_by TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    owner_pid INTEGER,
    owner_host TEXT,
    owner_start TEXT,
    heartbeat_at INTEGER,
    cancel_requested_by TEXT,
    cancel_requested_at INTEGER
  );
  CREATE INDEX runs_status ON runs(status);
  CREATE TABLE jobs (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    needs TEXT NOT NULL,
    environment TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    gate_passed INTEGER NOT NULL DEFAULT 0,
    started_at INTEGER,
    finished_at INTEGER,
    PRIMARY KEY (run_id, name)
  );
  CREATE TABLE steps (
    run_id INTEGER NOT NULL,
    job TEXT NOT NULL,
    idx INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    changed INTEGER,
    child_pid INTEGER,
    child_start TEXT,
    started_at INTEGER,
    finished_at INTEGER,
    PRIMARY KEY (run_id, job, idx),
    FOREIGN KEY (run_id, job) REFERENCES jobs(run_id, name)
  );
  CREATE TABLE step_hosts (
    run_id INTEGER NOT NULL,
    job TEXT NOT NULL,
    idx INTEGER NOT NULL,
    host TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, job, idx, host)
  );
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    kind TEXT NOT NULL,
    job TEXT,
    step INTEGER,
    host TEXT,
    stream TEXT,
    status TEXT,
    text TEXT
  );
  CREATE INDEX events_run ON events(run_id, id);
  CREATE TABLE outputs (
    run_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
  );
  CREATE TABLE gates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL,
    job TEXT NOT NULL,
    step INTEGER,
    round INTEGER NOT NULL,
    status TEXT NOT NULL,
    policy TEXT NOT NULL,
    plan TEXT NOT NULL,
    plan_hash TEXT NOT NULL,
    sha TEXT NOT NULL,
    reached_at INTEGER NOT NULL,
    opens_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    decided_at INTEGER,
    reason TEXT
  );
  CREATE INDEX gates_run ON gates(run_id, job);
  CREATE TABLE approvals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    gate_id INTEGER NOT NULL REFERENCES gates(id),
    login TEXT NOT NULL,
    channel TEXT NOT NULL,
    decision TEXT NOT NULL,
    sha TEXT NOT NULL,
    plan_hash TEXT NOT NULL,
    reason TEXT,
    at INTEGER NOT NULL
  );
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    run_id INTEGER,
    gate_id INTEGER,
    job TEXT,
    actor TEXT NOT NULL,
    channel TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT
  );
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
  CREATE TABLE releases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    host TEXT NOT NULL,
    app TEXT NOT NULL,
    release_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    run_id INTEGER,
    approver TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX releases_env ON releases(environment, app, host, id);
  CREATE TABLE locks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    requested_at INTEGER NOT NULL,
    UNIQUE (environment, run_id)
  );
  `,
  // 2: dashboard users (token stored as its SHA-256) and their sessions (id stored hashed too).
  `
  CREATE TABLE users (
    login TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    login TEXT NOT NULL REFERENCES users(login),
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_login ON sessions(login);
  `,
  // 3: who started a run as the channel saw them (`github:alice-gh`, `os:root`), for self-approval by person.
  `
  ALTER TABLE runs ADD COLUMN trigger_identity TEXT;
  `,
  // 4: honest rollbacks. A release keeps what it ran (commit, compose file, non-secret env, the names
  // of its secrets, the release it restored) so a rollback restores it; a run records the release it
  // rolls back to and that release's digest.
  `
  ALTER TABLE releases ADD COLUMN sha TEXT;
  ALTER TABLE releases ADD COLUMN compose_file TEXT;
  ALTER TABLE releases ADD COLUMN compose TEXT;
  ALTER TABLE releases ADD COLUMN env TEXT;
  ALTER TABLE releases ADD COLUMN secret_names TEXT;
  ALTER TABLE releases ADD COLUMN restores TEXT;
  ALTER TABLE runs ADD COLUMN rollback_ledger_id INTEGER;
  ALTER TABLE runs ADD COLUMN rollback_release TEXT;
  ALTER TABLE runs ADD COLUMN rollback_digest TEXT;
  `,
  // 5: ratified policy. Which default-branch commit's policy is in force (append-only: a weakening commit
  // takes effect only through an approval under the policy before it), and runs of kind 'policy' that
  // hold the gate of such a change.
  `
  ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'pipeline';
  CREATE TABLE policies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sha TEXT NOT NULL,
    ref TEXT NOT NULL,
    how TEXT NOT NULL,
    run_id INTEGER,
    at INTEGER NOT NULL
  );
  CREATE TRIGGER policies_no_update BEFORE UPDATE ON policies BEGIN SELECT RAISE(ABORT, 'policies is append-only'); END;
  CREATE TRIGGER policies_no_delete BEFORE DELETE ON policies BEGIN SELECT RAISE(ABORT, 'policies is append-only'); END;
  `,
  // 6: re-runs of failed jobs. A re-run is a new run that names the run it repeats; a gate whose approvals
  // were carried over from that run's gate (same commit, same plan) names the gate they come from.
  `
  ALTER TABLE runs ADD COLUMN rerun_of INTEGER REFERENCES runs(id);
  ALTER TABLE gates ADD COLUMN carried_from INTEGER REFERENCES gates(id);
  `,
  // 7: backups of stateful services, taken on hosts before a risky change (the ledger says which file on
  // which host, why, in which run, and when it was pruned); a run records the backup it restores.
  `
  CREATE TABLE backups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    host TEXT NOT NULL,
    app TEXT NOT NULL,
    service TEXT NOT NULL,
    backup_id TEXT NOT NULL,
    path TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    reason TEXT NOT NULL,
    release_id TEXT,
    run_id INTEGER,
    created_at INTEGER NOT NULL,
    removed_at INTEGER
  );
  CREATE INDEX backups_env ON backups(environment, app, id);
  ALTER TABLE runs ADD COLUMN restore_backup INTEGER;
  `,
  // 8: drift checks: what each scheduled plan (on.schedule mode: plan) found per environment; the
  // plan is kept so the dashboard shows the drift, the fingerprint so unchanged drift is notified once.
  `
  CREATE TABLE drift_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline TEXT NOT NULL,
    environment TEXT NOT NULL,
    sha TEXT NOT NULL,
    branch TEXT NOT NULL,
    checked_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    changes INTEGER NOT NULL,
    plan TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    reason TEXT
  );
  CREATE INDEX drift_checks_env ON drift_checks(environment, pipeline, id);
  `,
  // 9: notifications and redeploys: the outbox of notifications (one row per event and channel, retried
  // with backoff until sent or given up), how far the notifier has read the event log, and which rollback
  // runs are redeploys of the live release.
  `
  ALTER TABLE runs ADD COLUMN rollback_kind TEXT;
  CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    channel TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
  );
  CREATE INDEX notifications_due ON notifications(status, next_at);
  CREATE TABLE notify_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    event_id INTEGER NOT NULL
  );
  `,
  // 10: app repositories: a run of a registered app records the app, and the ops commit (and its tree) whose
  // slipway.yml, inventories and infra/ it ran under, beside the app commit in `sha`.
  `
  ALTER TABLE runs ADD COLUMN app TEXT;
  ALTER TABLE runs ADD COLUMN ops_sha TEXT;
  ALTER TABLE runs ADD COLUMN ops_root TEXT;
  `,
];
