import { z } from 'zod';
import { duration, name, repoPath } from '../../config/schema/common.ts';
import { defineStepKind, type StepOf } from '../kind.ts';

const healthCheck = z.strictObject({
  path: z.string().startsWith('/').default('/healthz'),
  expect_status: z.number().int().min(100).max(599).default(200),
  timeout: duration.prefault('60s'),
});

/** Expected final state of a compose service: long-running, healthy, or a one-shot job that exits 0. */
export const serviceState = z.enum(['running', 'healthy', 'exited']);

/** An argv, never a shell string: each element is one argument. */
const argv = z.array(z.string().min(1)).min(1);

const statefulService = z.strictObject({
  backup: argv
    .optional()
    .describe(
      "Taken in the service's running container before the service changes and before a release command; " +
        'its stdout is the backup (e.g. [pg_dump, -U, app, app]). Exiting non-zero stops the change',
    ),
  restore: argv
    .optional()
    .describe(
      "Run in the service's container with a backup on stdin by `slipway restore` (e.g. [psql, -U, app, app])",
    ),
  keep: z.number().int().min(1).max(100).default(5).describe('Backups of this service kept on each host'),
});

const options = z.strictObject({
  app: name.optional(),
  compose: repoPath.describe('Compose file in the repository, uploaded to each host'),
  hosts: name.default('all').describe('Inventory group (or host) to deploy to'),
  batch: z
    .union([
      z.number().int().min(1),
      z.string().regex(/^\d{1,3}%$/, { message: 'expected a host count like 2 or a percentage like 25%' }),
    ])
    .default(1)
    .describe('Hosts deployed at a time: a count, or a percentage like 25%'),
  services: z
    .record(z.string(), serviceState)
    .default({})
    .describe('Expected final state per compose service'),
  health: healthCheck.optional(),
  drain: duration.prefault('2s'),
  keep: z.number().int().min(1).max(50).default(3),
  timeout: duration.prefault('5m'),
  env: z
    .record(z.string(), z.string())
    .default({})
    .describe("Plain values for the release's .env (compose interpolation); never secrets"),
  stateful: z
    .record(
      z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { message: 'expected a compose service name' }),
      z.union([z.literal(false), statefulService]),
    )
    .default({})
    .describe(
      'Compose services that hold data (one container per host in a stable project, changed only when their own ' +
        'definition changes), with their backup and restore commands; false marks a service stateless. Unlisted: ' +
        'a service that does not run the app image and mounts a named volume is stateful',
    ),
  release_command: argv
    .optional()
    .describe(
      "Run once per release before any traffic moves (e.g. migrations), in the app image with the release's .env " +
        'and network; a failure stops the rollout with the old release serving',
    ),
  secrets: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected a variable name like SHOP_API_KEY' }),
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected the name of a pipeline secret' }),
    )
    .default({})
    .describe(
      "Variables of the release's .env set from pipeline secrets (VARIABLE: secret_name), this job's environment's values; " +
        `a compose service reads one with "environment: { VARIABLE: \${VARIABLE} }". No other secret reaches the host`,
    ),
});

/** `deploy`: the pushed digest rolled out to the environment's hosts in batches, with rollback per host. */
export const deployKind = defineStepKind({
  key: 'deploy',
  summary: "Pulls the pushed image by digest on the environment's hosts and starts it with docker compose",
  options,
  hosts: (o) => o.hosts,
  files: (o) => ({ compose: o.compose }),
  describe: (o, { pipeline }) => {
    const stateful = Object.keys(o.stateful).filter((k) => o.stateful[k] !== false);
    const extra = [
      stateful.length > 0 ? `stateful ${stateful.join(', ')}` : '',
      o.release_command ? `release command ${o.release_command.join(' ')}` : '',
    ].filter(Boolean);
    return `app ${o.app ?? pipeline.name} (${[o.compose, `batch ${o.batch}`, ...extra].join(', ')})`;
  },
  driftCheck: false,
  handler: () => import('../deploy.ts').then((m) => m.deployHandler),
});
export type DeployStep = StepOf<'deploy', typeof options>;
