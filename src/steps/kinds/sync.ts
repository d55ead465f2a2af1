import { z } from 'zod';
import { name, repoPath } from '../../config/schema/common.ts';
import { defineStepKind, type StepOf } from '../kind.ts';

const options = z.strictObject({
  hosts: name.default('all').describe('Inventory group (or host) to ship to'),
  source: repoPath.describe('Directory of the repository whose files are shipped'),
  to: name.describe(
    'Name of the synced directory on the hosts (/srv/slipway/sync/<to>); a static route of sites.yml serves it with `static: { sync: <to> }`',
  ),
  keep: z
    .number()
    .int()
    .min(1)
    .max(50)
    .default(5)
    .describe('Releases kept on each host, the live one included'),
});

/** `sync`: a repository directory shipped to the hosts as a versioned release behind an atomic `current` link. */
export const syncKind = defineStepKind({
  key: 'sync',
  summary:
    "Ships a directory of the repository to the environment's hosts as a versioned release and switches a `current` link to it",
  options,
  hosts: (o) => o.hosts,
  files: (o) => ({ source: { path: o.source, is: 'directory' } }),
  describe: (o) => `${o.source} to ${o.to} (keep ${o.keep})`,
  // The plan is the hosts' files against the repository's: empty when nobody changed either.
  driftCheck: true,
  handler: () => import('../sync.ts').then((m) => m.syncHandler),
});
export type SyncStep = StepOf<'sync', typeof options>;
