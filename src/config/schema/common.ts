import { z } from 'zod';

/** A duration written as `90s`, `5m`, `1h30m`, `24h` or `2d`; parsed to milliseconds. */
export const duration = z
  .string()
  .regex(/^(\d+(ms|s|m|h|d))+$/, { message: 'expected a duration like 30s, 5m, 1h30m or 24h' })
  .transform(parseDuration);

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration string already checked by the `duration` schema. */
export function parseDuration(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total;
}

/** A path inside the repository: relative, no `..` segment, no NUL. */
export const repoPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..') && !p.includes('\0'), {
    message: 'must be a path inside the repository (relative, without "..")',
  });

/** A login (`alice`) or a team (`@org/team`). */
export const principal = z
  .string()
  .regex(/^(@[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+|[A-Za-z0-9][A-Za-z0-9_.-]*)$/, {
    message: 'expected a login like alice or a team like @acme/ops',
  });

/** A TCP port number. */
export const port = z.number().int().min(1).max(65535);

/** Name of a host group, job, environment or app: letters, digits, `_`, `-`, `.`. */
export const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
  message: 'expected a name of letters, digits, "_", "-" or "."',
});

/** Where a secret's value comes from at run time; the value itself never lives in Git. */
export const secretSource = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) }),
  z.strictObject({ file: z.string().min(1) }),
]);
export type SecretSource = z.infer<typeof secretSource>;
