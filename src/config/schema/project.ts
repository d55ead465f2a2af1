import { z } from 'zod';
import { imageRepository, name, principal, repoPath, secretOrigin } from './common.ts';
import { notifications } from './notifications.ts';
import { people } from './people.ts';

/** An environment: the inventory its hosts come from and which branches may deploy to it. */
export const environment = z.strictObject({
  inventory: repoPath.optional().describe('Inventory directory or file (default inventories/<env>)'),
  branches: z.array(z.string().min(1)).default(['*']).describe('Branches (globs) allowed to deploy here'),
  url: z.url().optional(),
  run_by: z
    .array(principal)
    .min(1)
    .optional()
    .describe(
      'Persons and teams who may start runs of this environment by hand (slipway run, the dashboard: run, ' +
        'redeploy, roll back); without it anyone who reaches those channels may (on the dashboard, a person of people)',
    ),
});

/** Where an app repository's commits are fetched from: an absolute path, file://, https://, ssh:// or user@host:path. */
const gitUrl = z.string().regex(/^(\/|file:\/\/|https:\/\/|ssh:\/\/|[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:)/, {
  message: 'expected an absolute path, a file://, https:// or ssh:// URL, or user@host:path',
});

/**
 * An app repository registered with the ops repository: its pushes build and deploy it, under the
 * environments, inventories and gates of the ops repository's default branch.
 */
export const app = z.strictObject({
  repository: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, {
      message: 'expected owner/name, as the forge names the repository in its push payloads',
    })
    .describe('owner/name as the forge names it in push payloads: pushes from it run this app'),
  url: gitUrl.describe(
    'Where its commits are fetched from (never a URL from a payload): an absolute path, file://, https:// or ssh:// URL',
  ),
  pipeline: repoPath
    .default('.slipway/pipeline.yml')
    .describe('The pipeline file inside the app repository (same schema as pipelines/*.yml)'),
  environments: z
    .array(name)
    .default([])
    .describe('Environments (of `environments`) this app may deploy to; its pipeline may name no other'),
  image: imageRepository
    .optional()
    .describe("The only image repository this app's pipeline may build and push (its `image:`)"),
  secrets: z
    .array(secretOrigin)
    .default([])
    .describe(
      "Where this app's pipeline may read secrets from ({ env: VAR } or { file: path }); its pipeline may name no other source",
    ),
  run_steps: z
    .boolean()
    .default(false)
    .describe(
      "Let this app's pipeline hold run steps: they run on the runner as its user, with its files (SSH keys, the store), so only for a repository whose committers you trust with the runner",
    ),
});
export type App = z.infer<typeof app>;

/**
 * slipway.yml at the repository root: environments, teams and people. Read from the default branch
 * (the trusted ref), never from the commit being run.
 */
export const project = z.strictObject({
  environments: z.record(name, environment).default({}),
  /** Team members: persons (keys of `people`) or other teams. */
  teams: z
    .record(principal, z.array(principal))
    .default({})
    .describe('Teams (@org/team) and their members: persons of `people` or other teams'),
  people: people.describe(
    'Each person and their logins per channel (github, gitea, dashboard, os); an unmapped login decides nothing',
  ),
  apps: z
    .record(name, app)
    .default({})
    .describe(
      'App repositories apart from this one: where their pushes come from and fetch from, their pipeline file, where they may deploy',
    ),
  notifications: notifications
    .prefault({})
    .describe(
      'Who hears of an opened gate, a failed run, a rollback and drift, and how (read from the default branch)',
    ),
});
export type Project = z.infer<typeof project>;
