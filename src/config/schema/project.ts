import { z } from 'zod';
import { name, principal, repoPath } from './common.ts';

/** An environment: the inventory its hosts come from and which branches may deploy to it. */
export const environment = z.strictObject({
  inventory: repoPath.optional().describe('Inventory directory or file (default inventories/<env>)'),
  branches: z.array(z.string().min(1)).default(['*']).describe('Branches (globs) allowed to deploy here'),
  url: z.url().optional(),
});

/** slipway.yml at the repository root: environments, teams and operator identities. */
export const project = z.strictObject({
  environments: z.record(name, environment).default({}),
  /** Team members, for approvers written as `@org/team` when the forge cannot be asked. */
  teams: z.record(principal, z.array(principal)).default({}),
  /** Local OS account -> login, the identity of a CLI approval. */
  operators: z.record(z.string().min(1), principal).default({}),
});
export type Project = z.infer<typeof project>;
