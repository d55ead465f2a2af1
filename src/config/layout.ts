/** Where the ops-repo files live, relative to its root. */
export const REPO_LAYOUT = {
  project: 'slipway.yml',
  pipelines: 'pipelines',
  inventories: 'inventories',
  access: 'infra/access.yml',
  keys: 'infra/ssh-keys',
  sites: 'infra/sites.yml',
  roles: 'roles',
} as const;

/**
 * The roles Slipway ships and its ssh-keys, caddy and docker-host steps run; an ops repository's
 * roles/<name> of the same name is run instead.
 */
export const BUILT_IN_ROLES = ['caddy', 'ssh_keys', 'docker_host'] as const;
export type BuiltInRole = (typeof BUILT_IN_ROLES)[number];
