/** The outcome of one host's work in a fan-out. */
export type HostOutcome<T> = { host: string; ok: true; value: T } | { host: string; ok: false; error: Error };

/** Several hosts failed (or one): the message names each failed host and why. */
export class AggregateHostError extends Error {
  readonly failures: { host: string; error: Error }[];
  constructor(failures: { host: string; error: Error }[]) {
    const lines = failures.map((f) => `  ${f.host}: ${reason(f.host, f.error.message)}`);
    super(`${failures.length} host${failures.length === 1 ? '' : 's'} failed:\n${lines.join('\n')}`);
    this.name = 'AggregateHostError';
    this.failures = failures;
  }
}

// Transport errors already start with the host name; say it once.
function reason(host: string, message: string): string {
  const line = message.split('\n').find((l) => l.trim() !== '') ?? message;
  return line.startsWith(`${host}: `) ? line.slice(host.length + 2) : line;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Runs `fn` for every host, at most `parallel` at a time; one host's failure never stops the
 * others. Outcomes come back in input order. After `signal` aborts, hosts not yet started fail with its reason.
 */
export async function forEachHost<H extends { name: string }, T>(
  hosts: readonly H[],
  parallel: number,
  fn: (host: H) => Promise<T>,
  opts: { signal?: AbortSignal } = {},
): Promise<HostOutcome<T>[]> {
  if (!Number.isInteger(parallel) || parallel < 1)
    throw new Error(`--parallel must be a positive integer, got ${parallel}`);
  const outcomes: HostOutcome<T>[] = new Array(hosts.length);
  let next = 0;
  const worker = async () => {
    while (next < hosts.length) {
      const i = next++;
      const host = hosts[i]!;
      try {
        opts.signal?.throwIfAborted();
        outcomes[i] = { host: host.name, ok: true, value: await fn(host) };
      } catch (e) {
        outcomes[i] = { host: host.name, ok: false, error: asError(e) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, hosts.length) }, worker));
  return outcomes;
}

/** The values by host when every host succeeded; otherwise throws one AggregateHostError. */
export function allOk<T>(outcomes: readonly HostOutcome<T>[]): Map<string, T> {
  const failures = outcomes.flatMap((o) => (o.ok ? [] : [{ host: o.host, error: o.error }]));
  if (failures.length > 0) throw new AggregateHostError(failures);
  return new Map(outcomes.map((o) => [o.host, (o as { value: T }).value]));
}
