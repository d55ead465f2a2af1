import { dirname, join, resolve } from 'node:path';
import * as core from '@actions/core';
import type { PolicySource } from '../../src/approvals/policy-source.ts';
import { ratifiedPolicySource } from '../../src/approvals/ratified-policy.ts';
import { Store, storePath } from '../../src/store/store.ts';
import { localPolicySource } from '../../src/triggers/policy-ref.ts';

/** An input, or undefined when it is empty (Actions passes unset inputs as ''). */
export function optionalInput(name: string): string | undefined {
  return core.getInput(name) || undefined;
}

/** A true/false input, `fallback` when it is not given (action.yml defaults do not reach a bare run). */
export function booleanInput(name: string, fallback: boolean): boolean {
  const text = optionalInput(name);
  if (text === undefined) return fallback;
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  throw new Error(`${name}: expected true or false, got ${JSON.stringify(text)}`);
}

/** A run number input; throws naming the input otherwise. */
export function runIdInput(name: string): number {
  const text = core.getInput(name, { required: true });
  const id = Number(text);
  if (!Number.isInteger(id) || id <= 0)
    throw new Error(`${name}: expected a run number, got ${JSON.stringify(text)}`);
  return id;
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

/**
 * The policy in force: the checkout's default branch (origin/HEAD, main, master) or SLIPWAY_POLICY_REF,
 * as ratified in the store;
 * fetch it first (actions/checkout with `fetch-depth: 0`, or `git fetch origin main`).
 */
export function actionPolicy(root: string, inventories?: string): PolicySource {
  const treeRoot = join(dirname(storePath(root)), 'policy');
  const trees = localPolicySource(root, treeRoot, process.env.SLIPWAY_POLICY_REF || undefined, {
    ...(inventories ? { inventoriesRoot: resolve(root, inventories) } : {}),
  });
  return ratifiedPolicySource(() => actionStore(root), trees);
}
