import { z } from 'zod';
import { REPO_LAYOUT } from '../../config/layout.ts';
import { name, repoPath } from '../../config/schema/common.ts';
import { defineStepKind, type StepOf } from '../kind.ts';

const options = z.strictObject({
  hosts: name.default('all'),
  sites: repoPath.default(REPO_LAYOUT.sites),
  install: z.boolean().default(true),
});

/** `caddy`: installs Caddy where missing and converges its config to the sites file. */
export const caddyKind = defineStepKind({
  key: 'caddy',
  summary: 'Installs Caddy where missing and converges its config to the sites file through the admin API',
  options,
  hosts: (o) => o.hosts,
  files: (o) => ({ sites: { path: o.sites, document: 'sites' } }),
  describe: (o, { sitesFiles, inventory }) => {
    const env = inventory?.environment;
    const domains = Object.entries(sitesFiles.get(o.sites)?.sites ?? {})
      .filter(([, site]) => !site.environments || (env !== undefined && site.environments.includes(env)))
      .map(([domain]) => domain)
      .join(', ');
    return `${domains || 'no sites'} (${o.sites})`;
  },
  driftCheck: true,
  handler: () => import('../caddy.ts').then((m) => m.caddyStepHandler),
});
export type CaddyStep = StepOf<'caddy', typeof options>;
