import type { RunStatus } from '../store/types.ts';

/** Exit codes that mean something to scripts and CI. */
export const ExitCode = {
  Ok: 0,
  Failed: 1,
  InvalidConfig: 2,
  WaitingForApproval: 3,
  CanceledOrExpired: 4,
} as const;

/** The exit code of a command that ran (or continued) a run, by the run's status afterwards. */
export function exitCodeFor(status: RunStatus): number {
  switch (status) {
    case 'succeeded':
      return ExitCode.Ok;
    case 'waiting':
    case 'queued': // detached behind another run's environment lock
      return ExitCode.WaitingForApproval;
    case 'canceled':
    case 'expired':
      return ExitCode.CanceledOrExpired;
    default:
      return ExitCode.Failed;
  }
}
