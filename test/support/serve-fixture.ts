import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runContextLoader } from '../../src/cli/run-session.ts';
import type { ForgeKind } from '../../src/forge/types.ts';
import { type ServeOptions, type Serving, serve } from '../../src/server/serve.ts';
import { SIGNATURE_HEADER, signBody } from '../../src/triggers/verify-signature.ts';
import { createGitOrigin, type GitOrigin } from './git-origin.ts';

export const WEBHOOK_SECRET = 'webhook-secret-for-tests';

/** An ops repository with two pipelines: `web` on pushes to main, `docs` on release branches touching docs/. */
export const OPS_FILES: Record<string, string> = {
  'slipway.yml': 'environments: {}\n',
  'pipelines/web.yml': [
    'name: web',
    'on: { push: { branches: [main] } }',
    'jobs:',
    '  build: { steps: [ { run: { command: ["true"] } } ] }',
    '',
  ].join('\n'),
  'pipelines/docs.yml': [
    'name: docs',
    'on: { push: { branches: ["release/*"], paths: ["docs/**"] } }',
    'jobs:',
    '  publish: { steps: [ { run: { command: ["true"] } } ] }',
    '',
  ].join('\n'),
};

/** A real `slipway serve` on loopback over a real origin repository and store, cleaned up by `close`. */
export interface ServeFixture {
  origin: GitOrigin;
  server: Serving;
  dir: string;
  logs: string[];
  /** Sends a webhook delivery (signed with the right secret unless `signature` is given). */
  deliver(
    forge: ForgeKind,
    event: string,
    payload: unknown,
    opts?: { delivery?: string; signature?: string },
  ): Promise<{ status: number; body: string; delivery: string }>;
  restart(overrides?: Partial<ServeOptions>): Promise<void>;
  close(): Promise<void>;
}

/** Starts the fixture; `files` seed the origin's first commit on main. */
export async function startServeFixture(
  overrides: Partial<ServeOptions> = {},
  files: Record<string, string> = OPS_FILES,
): Promise<ServeFixture> {
  const origin = await createGitOrigin();
  const dir = await mkdtemp(join(tmpdir(), 'slipway-serve-'));
  const logs: string[] = [];
  const options = (o: Partial<ServeOptions>): ServeOptions => ({
    host: '127.0.0.1',
    port: 0,
    statePath: join(dir, 'state.db'),
    repoUrl: origin.url,
    secrets: { github: WEBHOOK_SECRET, gitea: WEBHOOK_SECRET },
    pollPipelines: [],
    worker: false,
    loadRun: runContextLoader,
    log: (line) => logs.push(line),
    ...o,
  });
  await origin.commit(files);
  let server: Serving;
  try {
    server = await serve(options(overrides));
  } catch (err) {
    await origin.cleanup();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const fixture: ServeFixture = {
    origin,
    dir,
    logs,
    server,
    async deliver(forge, event, payload, opts = {}) {
      const body = JSON.stringify(payload);
      const delivery = opts.delivery ?? randomUUID();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      headers[SIGNATURE_HEADER[forge]] = opts.signature ?? signBody(body, WEBHOOK_SECRET, forge);
      if (forge === 'github') {
        headers['x-github-event'] = event;
        headers['x-github-delivery'] = delivery;
      } else {
        headers['x-gitea-event'] = event;
        headers['x-gitea-delivery'] = delivery;
      }
      const res = await fetch(`${fixture.server.url}/webhooks/${forge}`, { method: 'POST', headers, body });
      return { status: res.status, body: await res.text(), delivery };
    },
    async restart(o = {}) {
      await fixture.server.close();
      fixture.server = await serve(options({ ...overrides, ...o }));
    },
    async close() {
      try {
        await fixture.server.close();
      } finally {
        await origin.cleanup();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
  return fixture;
}
