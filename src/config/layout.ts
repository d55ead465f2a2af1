/** Where the ops-repo files live, relative to its root. */
export const REPO_LAYOUT = {
  project: 'slipway.yml',
  pipelines: 'pipelines',
  inventories: 'inventories',
  access: 'infra/access.yml',
  keys: 'infra/ssh-keys',
  sites: 'infra/sites.yml',
} as const;
