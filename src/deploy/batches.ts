/** A rollout batch size: a host count, or a percentage of the hosts like `25%`. */
export type BatchSize = number | string;

/** Splits hosts into rollout batches in order; a percentage rounds up, so every batch has at least one host. */
export function batches<T>(hosts: readonly T[], size: BatchSize): T[][] {
  if (hosts.length === 0) return [];
  let n: number;
  if (typeof size === 'number') n = size;
  else {
    const m = /^(\d{1,3})%$/.exec(size);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 100)
      throw new Error(`batch: expected 1%..100%, got ${size}`);
    n = Math.ceil((hosts.length * Number(m[1])) / 100);
  }
  if (!Number.isInteger(n) || n < 1) throw new Error(`batch: expected a positive host count, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < hosts.length; i += n) out.push(hosts.slice(i, i + n));
  return out;
}

/** The same batches with the first host alone in a batch of its own (it does what the others need first). */
export function firstAlone<T>(plan: readonly T[][]): T[][] {
  const [head, ...rest] = plan;
  if (!head || head.length <= 1) return [...plan];
  return [[head[0]!], head.slice(1), ...rest];
}
