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

const secretVar = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected a variable name' });

/** A file inside the operator's secrets directory (SLIPWAY_SECRETS_DIR), never elsewhere. */
const secretFile = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..') && !p.includes('\0'), {
    message: 'expected a path inside the secrets directory (SLIPWAY_SECRETS_DIR): relative, without ".."',
  });

/** An image repository without a tag (Slipway tags by commit). */
export const imageRepository = z
  .string()
  .regex(/^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/, {
    message:
      'expected an image repository like registry.example.com/acme/web (no tag: Slipway tags by commit)',
  });

/** One place a value is read from: a variable of the runner's environment or a file in its secrets directory. */
export const secretOrigin = z.union([
  z.strictObject({ env: secretVar }),
  z.strictObject({ file: secretFile }),
]);
export type SecretOrigin = z.infer<typeof secretOrigin>;

const limitedTo = z
  .array(name)
  .min(1)
  .optional()
  .describe('Environments whose jobs may read the secret; without it, every job may');

/**
 * Where a secret's value comes from at run time; the value itself never lives in Git. Either one origin
 * (optionally limited to some environments) or one origin per environment.
 */
export const secretSource = z.union([
  z.strictObject({ env: secretVar, environments: limitedTo }),
  z.strictObject({ file: secretFile, environments: limitedTo }),
  z.strictObject({
    by_environment: z
      .record(name, secretOrigin)
      .refine((m) => Object.keys(m).length > 0, { message: 'expected at least one environment' })
      .describe("A source per environment: a job of environment X reads only X's value"),
  }),
]);
export type SecretSource = z.infer<typeof secretSource>;

/** Every origin a secret source reads from (one, or one per environment). */
export function secretOrigins(source: SecretSource): SecretOrigin[] {
  return 'by_environment' in source ? Object.values(source.by_environment) : [source];
}

/** An origin as messages name it: `env VAR` or `file path`. */
export function describeSecretOrigin(origin: SecretOrigin): string {
  return 'env' in origin ? `env ${origin.env}` : `file ${origin.file}`;
}

/**
 * Where a credential of Slipway's own (a notification key, an SMTP password) is read from at run time: a
 * variable of the runner's environment or a file in SLIPWAY_SECRETS_DIR. A value written in the committed
 * file is refused.
 */
export const secretReference = z
  .unknown()
  .superRefine((v, ctx) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      ctx.addIssue({
        code: 'custom',
        message:
          "a secret never lives in the committed file: write { env: VAR } (the runner's environment) or " +
          '{ file: path } (inside SLIPWAY_SECRETS_DIR)',
        params: { secret: true },
        abort: true,
      });
  })
  .pipe(secretOrigin);
