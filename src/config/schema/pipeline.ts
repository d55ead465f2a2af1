import { z } from 'zod';
import { STEP_KINDS, step } from '../../steps/kinds/index.ts';
import { approvalPolicy } from './approval.ts';
import { duration, imageRepository, name, secretSource } from './common.ts';
import { cronExpression } from './cron.ts';

const globs = z.array(z.string().min(1)).default([]);

/** One entry of `on.schedule`: when, which branch's head, and whether to run it or only plan it. */
export const scheduleEntry = z.strictObject({
  cron: cronExpression,
  branch: z.string().min(1).default('main').describe('The branch whose head is run or planned'),
  mode: z
    .enum(['run', 'plan'])
    .default('run')
    .describe(
      'run: a run of the pipeline, through its gates; plan: a drift check: every job is planned, the changes ' +
        'found are reported as drift (status, notification, dashboard), nothing is applied',
    ),
});
export type ScheduleEntry = z.infer<typeof scheduleEntry>;

/** What starts a pipeline: a push (branch, tag and path globs), a manual run, polling, or a schedule. */
export const triggers = z
  .strictObject({
    push: z
      .strictObject({ branches: globs, tags: globs, paths: globs })
      .optional()
      .describe('Run on a push to matching branches or tags, when a changed file matches `paths` (globs)'),
    manual: z.boolean().default(true).describe('Allow `slipway run` by hand'),
    poll: z
      .strictObject({ interval: duration, branch: z.string().default('main') })
      .optional()
      .describe('Poll the branch for new commits every `interval`'),
    schedule: z
      .array(scheduleEntry)
      .min(1)
      .optional()
      .describe(
        'Start the pipeline at times written in cron syntax, read in the time zone of the runner that serves (slipway serve states it)',
      ),
  })
  .default({ manual: true });

/** One job: steps run in order on the runner or on an environment's hosts. */
export const job = z.strictObject({
  needs: z.array(name).default([]).describe('Jobs that must succeed before this one starts'),
  environment: name
    .optional()
    .describe('Environment whose inventory the steps run on (slipway.yml, inventories/<env>)'),
  approval: approvalPolicy.optional().describe('Gate before the job: shows its plan and waits for approvals'),
  timeout: duration.optional(),
  retries: z.number().int().min(0).max(10).default(0),
  steps: z
    .array(step)
    .min(1)
    .describe(`Steps, run in order; each is one of ${STEP_KINDS.map((k) => k.key).join(', ')}`),
});
export type Job = z.infer<typeof job>;

/** Registry credentials for push and pull; the password is a secret name, never a value. */
export const registryAuth = z.strictObject({
  username: z.string().min(1),
  password_secret: z.string().min(1),
});

/** A pipeline file in pipelines/. */
export const pipeline = z.strictObject({
  name: name,
  on: triggers.describe('What starts the pipeline'),
  image: imageRepository.optional(),
  registry: registryAuth
    .optional()
    .describe(
      "Login for the registry of `image` (push, digest checks, pulls on hosts): basic auth or the Bearer token flow (GHCR, Gitea, Harbor); the password is a secret's name",
    ),
  env: z.record(z.string(), z.string()).default({}),
  secrets: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), secretSource).default({}),
  timeout: duration.optional(),
  jobs: z.record(name, job).describe('Jobs by name; `needs` orders them'),
});
export type Pipeline = z.infer<typeof pipeline>;
