import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuiltInRole, REPO_LAYOUT } from '../config/layout.ts';

/**
 * Slipway's own roles, shipped with the package: roles/ beside src/ (or its build, dist/); from a GitHub
 * Actions bundle (actions/<name>/dist/index.js) it is the action repository's roles/, one level further up.
 */
export const SHIPPED_ROLES =
  ['../../roles', '../../../roles']
    .map((p) => fileURLToPath(new URL(p, import.meta.url)))
    .find((dir) => existsSync(join(dir, 'ssh_keys'))) ??
  fileURLToPath(new URL('../../roles', import.meta.url));

/**
 * The directory of role `name` for a run in the ops repository at `root`: the repository's own
 * roles/<name> when it has one (validation refused one that leads outside it), else Slipway's.
 */
export function roleDir(name: BuiltInRole, root: string): string {
  const own = join(root, REPO_LAYOUT.roles, name);
  return existsSync(own) ? own : join(SHIPPED_ROLES, name);
}
