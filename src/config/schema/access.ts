import { z } from 'zod';
import { name } from './common.ts';

/** One login account on the servers and the keys (files in infra/ssh-keys/, without .pub) allowed in. */
export const accessUser = z.strictObject({
  keys: z.array(name).min(1).describe('Key files in infra/ssh-keys/ (name without .pub) allowed to log in'),
  hosts: z.array(name).default(['all']).describe('Inventory groups where this user exists'),
  groups: z.array(z.string()).default([]),
  shell: z.string().startsWith('/').default('/bin/bash'),
});

/** infra/access.yml: who may log in where, as which user. */
export const access = z.strictObject({
  users: z.record(
    z.string().regex(/^[a-z_][a-z0-9_-]*$/, { message: 'expected a lowercase login like deploy or alice' }),
    accessUser,
  ),
});
export type Access = z.infer<typeof access>;
