import { z } from 'zod';
import { REPO_LAYOUT } from '../../config/layout.ts';
import { name, repoPath } from '../../config/schema/common.ts';
import { defineStepKind, type StepOf } from '../kind.ts';

const options = z.strictObject({
  hosts: name.default('all'),
  access: repoPath.default(REPO_LAYOUT.access),
  /** Allow the key Slipway itself connects with to be removed (a deliberate rotation). */
  rotate_runner_key: z.boolean().default(false),
});

/** `ssh-keys`: authorized_keys on the environment's hosts exactly as the access file says. */
export const sshKeysKind = defineStepKind({
  key: 'ssh-keys',
  summary: "Makes authorized_keys on the environment's hosts exactly what the access file says",
  options,
  hosts: (o) => o.hosts,
  files: (o) => ({ access: { path: o.access, document: 'access' } }),
  describe: (o, { accessFiles }) => {
    const users = Object.entries(accessFiles.get(o.access)?.users ?? {})
      .map(([user, u]) => `${user} [${u.keys.join(', ')}] on ${u.hosts.join(', ')}`)
      .join('; ');
    return `authorized_keys of ${users || 'no users'} (${o.access})`;
  },
  driftCheck: true,
  handler: () => import('../ssh-keys.ts').then((m) => m.sshKeysHandler),
});
export type SshKeysStep = StepOf<'ssh-keys', typeof options>;
