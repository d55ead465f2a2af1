import { resolve } from 'node:path';
import * as core from '@actions/core';
import { Store, storePath } from '../../src/store/store.ts';

/** An input, or undefined when it is empty (Actions passes unset inputs as ''). */
export function optionalInput(name: string): string | undefined {
  return core.getInput(name) || undefined;
}

/** The ops repository checkout: input `repo`, relative to the workspace. */
export function repoRoot(): string {
  return resolve(process.env.GITHUB_WORKSPACE ?? process.cwd(), core.getInput('repo') || '.');
}

/** The state store: input `state`, else SLIPWAY_STATE, else `.slipway/state.db` in the repository. */
export function actionStore(root: string): Store {
  const state = optionalInput('state');
  return new Store(state ? resolve(root, state) : storePath(root));
}
