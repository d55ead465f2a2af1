/** Expected final state of a compose service (as in the deploy step's `services:`). */
export type ExpectedState = 'running' | 'healthy' | 'exited';

/** The parts of `docker inspect` a deploy looks at. */
export interface ContainerInfo {
  Id: string;
  Name?: string;
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    Health?: { Status: string };
    /** ISO times; `0001-01-01T00:00:00Z` when it never happened. */
    StartedAt?: string;
    FinishedAt?: string;
  };
  RestartCount?: number;
  Config: { Labels?: Record<string, string> | null; Tty?: boolean };
}

/** Where a service stands against its expectation. */
export type ServiceVerdict =
  | { state: 'ok' }
  | { state: 'waiting'; why: string }
  | { state: 'failed'; why: string };

/** The compose service a container belongs to. */
export function serviceOf(c: ContainerInfo): string | undefined {
  return c.Config.Labels?.['com.docker.compose.service'];
}

/**
 * Judges one service's containers: ok once each reached `expected`, failed as soon as one never
 * can (exited when it should run, unhealthy, exited non-zero, restarting), waiting otherwise.
 */
export function judgeService(expected: ExpectedState, containers: readonly ContainerInfo[]): ServiceVerdict {
  if (containers.length === 0) return { state: 'waiting', why: 'no container yet' };
  for (const c of containers) {
    const s = c.State;
    const health = s.Health?.Status;
    if (expected === 'exited') {
      if (s.Status === 'exited' || s.Status === 'dead') {
        if (s.ExitCode !== 0) return { state: 'failed', why: `exited with code ${s.ExitCode}` };
        continue;
      }
      return { state: 'waiting', why: `still ${s.Status}` };
    }
    if (s.Status === 'exited' || s.Status === 'dead')
      return { state: 'failed', why: `exited with code ${s.ExitCode}` };
    if (s.Status === 'restarting' || (c.RestartCount ?? 0) > 0) return { state: 'failed', why: 'restarting' };
    if (health === 'unhealthy') return { state: 'failed', why: 'unhealthy' };
    if (expected === 'healthy' && health === undefined)
      return { state: 'failed', why: 'has no healthcheck but is expected healthy' };
    if (!s.Running) return { state: 'waiting', why: s.Status };
    // A container with a healthcheck is only "running" once docker calls it healthy.
    if (health !== undefined && health !== 'healthy') return { state: 'waiting', why: health };
  }
  return { state: 'ok' };
}
