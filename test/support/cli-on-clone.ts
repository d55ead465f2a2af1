import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from './sandbox.ts';

/** Git identity of the test's pushes: someone who is no approver, so self-approval never interferes. */
const PUSH_AUTHOR = {
  GIT_AUTHOR_NAME: 'Carol',
  GIT_AUTHOR_EMAIL: 'carol@example.com',
  GIT_COMMITTER_NAME: 'Carol',
  GIT_COMMITTER_EMAIL: 'carol@example.com',
};

/** Commits every tracked change in `clone` as PUSH_AUTHOR: a push, as far as Slipway can tell. */
export async function commitAsPusher(clone: string, message: string): Promise<void> {
  await execa('git', ['-C', clone, 'commit', '-qam', message], { env: { ...process.env, ...PUSH_AUTHOR } });
}

/** A push of the sample app: the clone's pipelines/app.yml pointed at `registry`, its VERSION set, one commit. */
export async function pushAppVersion(clone: string, registry: string, version: string): Promise<void> {
  const file = join(clone, 'pipelines/app.yml');
  const text = (await readFile(file, 'utf8'))
    .replaceAll('10.207.0.1:5000', registry)
    .replace(/VERSION: "[^"]*"/, `VERSION: "${version}"`);
  await writeFile(file, text);
  await commitAsPusher(clone, `web ${version}`);
}

/** This checkout's `bin/slipway`, run on `clone` against `inventoriesRoot`, never throwing on a non-zero exit. */
export function slipwayOnClone(o: {
  clone: () => string;
  inventoriesRoot: () => string;
  env: () => NodeJS.ProcessEnv;
  timeoutMs: number;
}) {
  return (...args: string[]) =>
    execa(join(REPO_ROOT, 'bin/slipway'), ['-C', o.clone(), '--inventories', o.inventoriesRoot(), ...args], {
      env: o.env(),
      reject: false,
      timeout: o.timeoutMs,
    });
}

/**
 * A clone of this checkout on branch `main` (prod admits main only) in a fresh temp directory, its state
 * beside it, and the CLI on it against a sandbox's inventories: `setUp` in beforeAll, `tearDown` in afterAll.
 */
export function cloneOnSandbox(o: { prefix: string; timeoutMs: number }) {
  const at = { dir: '', clone: '', env: {} as NodeJS.ProcessEnv, inventories: '' };
  return {
    at,
    slipway: slipwayOnClone({
      clone: () => at.clone,
      inventoriesRoot: () => at.inventories,
      env: () => at.env,
      timeoutMs: o.timeoutMs,
    }),
    async setUp(inventoriesRoot: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
      at.dir = await mkdtemp(join(tmpdir(), o.prefix));
      at.clone = join(at.dir, 'repo');
      at.inventories = inventoriesRoot;
      at.env = { ...process.env, SLIPWAY_STATE: join(at.dir, 'state.db'), ...env };
      await execa('git', ['clone', '--quiet', REPO_ROOT, at.clone]);
      await execa('git', ['-C', at.clone, 'checkout', '--quiet', '-B', 'main']);
    },
    async tearDown(): Promise<void> {
      if (at.dir) await rm(at.dir, { recursive: true, force: true });
    },
  };
}
