/** Hosts a step works on at once when neither `--parallel N` nor SLIPWAY_PARALLEL says otherwise. */
export const DEFAULT_PARALLEL = 8;

/**
 * The bound on hosts worked on at once: SLIPWAY_PARALLEL (which `--parallel N` sets for the process and its
 * children, ansible-playbook's forks included), else the default. A bad value is an error, not a guess.
 */
export function hostParallelism(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.SLIPWAY_PARALLEL;
  if (text === undefined || text === '') return DEFAULT_PARALLEL;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new Error(
      `--parallel / SLIPWAY_PARALLEL: expected a whole number from 1 to 256, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}
