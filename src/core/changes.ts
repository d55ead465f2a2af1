// The words every layer shares about what a run changes on hosts: the store records them, the dashboard
// shows them, steps and the command builders under them produce them. Nothing here imports anything.

/** One thing a step would change, shown at the approval gate and hashed into the approval. */
export interface Change {
  /** Inventory host name, or undefined for work on the runner itself. */
  host?: string;
  action: 'add' | 'remove' | 'change' | 'run';
  /** What changes, e.g. `authorized_keys root: alice@laptop (SHA256:...)` or `route www.example.com/api`. */
  subject: string;
  /** Optional longer text: a diff, a command line. Never a secret. */
  detail?: string;
}

/** Per-host progress a step reports while it applies. */
export type HostStatus =
  | 'pending'
  | 'running'
  | 'ok'
  | 'changed'
  | 'failed'
  | 'unreachable'
  | 'skipped'
  | 'rolled-back';
