import { inRepo } from './cross-checks.ts';
import { BUILT_IN_ROLES, REPO_LAYOUT } from './layout.ts';
import type { ConfigError } from './types.ts';

/**
 * An ops repository's roles/caddy, roles/ssh_keys or roles/docker_host replaces Slipway's own; each one present must be a
 * directory inside the repository, since a symlink out of it would run what no approved commit holds.
 */
export function roleOverrideChecks(root: string): ConfigError[] {
  return BUILT_IN_ROLES.flatMap((name): ConfigError[] => {
    const rel = `${REPO_LAYOUT.roles}/${name}`;
    const state = inRepo(root, rel, 'directory');
    if (state === 'ok' || state === 'missing') return [];
    const got = state === 'escapes' ? 'a symlink leading outside the repository' : `a ${state}`;
    return [
      {
        file: rel,
        line: 1,
        col: 1,
        key: '',
        message: `expected a role directory in the repository, got ${got}`,
        hint: `commit your ${name} role as the directory ${rel}/, or remove ${rel} to run Slipway's own`,
      },
    ];
  });
}
