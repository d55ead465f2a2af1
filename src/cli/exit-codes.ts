/** Exit codes that mean something to scripts and CI. */
export const ExitCode = {
  Ok: 0,
  Failed: 1,
  InvalidConfig: 2,
  WaitingForApproval: 3,
  CanceledOrExpired: 4,
} as const;
