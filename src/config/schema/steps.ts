import { z } from 'zod';
import { approvalPolicy } from './approval.ts';
import { duration, name, port, repoPath } from './common.ts';

const base = {
  name: z.string().min(1).optional(),
  timeout: duration.optional(),
  retries: z.number().int().min(0).max(10).optional(),
};

/** A local command on the runner (argv, never a shell string unless `shell: true` is chosen explicitly). */
export const runStep = z.strictObject({
  run: z.strictObject({
    command: z.array(z.string()).min(1),
    cwd: repoPath.optional(),
    env: z.record(z.string(), z.string()).default({}),
  }),
  ...base,
});

/** A manual gate in the middle of a job, with the same policy as a job-level `approval`. */
export const approvalStep = z.strictObject({ approval: approvalPolicy, ...base });

/** Makes authorized_keys on the environment's hosts exactly what infra/access.yml says. */
export const sshKeysStep = z.strictObject({
  'ssh-keys': z.strictObject({
    hosts: name.default('all'),
    access: repoPath.default('infra/access.yml'),
    /** Allow the key Slipway itself connects with to be removed (a deliberate rotation). */
    rotate_runner_key: z.boolean().default(false),
  }),
  ...base,
});

/** Installs Caddy where missing and converges its config to infra/sites.yml through the admin API. */
export const caddyStep = z.strictObject({
  caddy: z.strictObject({
    hosts: name.default('all'),
    sites: repoPath.default('infra/sites.yml'),
    install: z.boolean().default(true),
  }),
  ...base,
});

/** Runs an Ansible playbook from the repository against the environment's inventory. */
export const ansibleStep = z.strictObject({
  ansible: z.strictObject({
    playbook: repoPath,
    hosts: name.optional(),
    extra_vars: z.record(z.string(), z.unknown()).default({}),
    tags: z.array(z.string()).default([]),
  }),
  ...base,
});

/** Builds the pipeline's image once from a context in the repository. */
export const buildStep = z.strictObject({
  build: z.strictObject({
    context: repoPath.default('.'),
    dockerfile: repoPath.optional(),
    args: z.record(z.string(), z.string()).default({}),
    target: z.string().optional(),
  }),
  ...base,
});

/** Pushes the built image to the pipeline's registry and records its digest. */
export const pushStep = z.strictObject({
  push: z.strictObject({ tags: z.array(z.string()).default([]) }),
  ...base,
});

const healthCheck = z.strictObject({
  path: z.string().startsWith('/').default('/healthz'),
  port: port.optional(),
  expect_status: z.number().int().min(100).max(599).default(200),
  timeout: duration.prefault('60s'),
});

/** Expected final state of a compose service: long-running, healthy, or a one-shot job that exits 0. */
export const serviceState = z.enum(['running', 'healthy', 'exited']);

/** Pulls the built image by digest on the environment's hosts and starts it with compose. */
export const deployStep = z.strictObject({
  deploy: z.strictObject({
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
    secrets: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected a variable name like SHOP_API_KEY' }),
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected the name of a pipeline secret' }),
      )
      .default({})
      .describe(
        "Variables of the release's .env set from pipeline secrets (VARIABLE: secret_name), this job's environment's values; " +
          `a compose service reads one with "environment: { VARIABLE: \${VARIABLE} }". No other secret reaches the host`,
      ),
  }),
  ...base,
});

/** Every step kind, by the one key that names it. */
export const step = z.union([
  runStep,
  approvalStep,
  sshKeysStep,
  caddyStep,
  ansibleStep,
  buildStep,
  pushStep,
  deployStep,
]);
export type Step = z.infer<typeof step>;
export type RunStep = z.infer<typeof runStep>;
export type DeployStep = z.infer<typeof deployStep>;

/** The keys that name a step kind, in the order users read them in docs. */
export const STEP_KINDS = [
  'run',
  'approval',
  'ssh-keys',
  'caddy',
  'ansible',
  'build',
  'push',
  'deploy',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];
