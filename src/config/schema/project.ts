import { z } from 'zod';
import { name, principal, repoPath } from './common.ts';
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
  notifications: notifications
    .prefault({})
    .describe(
      'Who hears of an opened gate, a failed run, a rollback and drift, and how (read from the default branch)',
    ),
});
export type Project = z.infer<typeof project>;
