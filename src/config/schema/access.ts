import { z } from 'zod';
import { name } from './common.ts';

/** One login account on the servers and the keys (files in infra/ssh-keys/, without .pub) allowed in. */
export const accessUser = z.strictObject({
  keys: z
    .array(name)
    .describe(
      'Key files in infra/ssh-keys/ (name without .pub) allowed to log in; [] for an account with no key',
    ),
  hosts: z.array(name).default(['all']).describe('Inventory groups where this user exists'),
  groups: z.array(z.string()).default([]),
  shell: z.string().startsWith('/').default('/bin/bash'),
});

/** What happens to an account Slipway manages once infra/access.yml no longer lists it (its keys always go). */
export const offboard = z.enum(['lock', 'remove']);
export type Offboard = z.infer<typeof offboard>;

/** infra/access.yml: who may log in where, as which user. */
export const access = z.strictObject({
  offboard: offboard
    .default('lock')
    .describe(
      'An account removed from users: loses every key, then is locked (expired) or removed (its home directory stays)',
    ),
  users: z.record(
    z.string().regex(/^[a-z_][a-z0-9_-]*$/, { message: 'expected a lowercase login like deploy or alice' }),
    accessUser,
  ),
});
export type Access = z.infer<typeof access>;
