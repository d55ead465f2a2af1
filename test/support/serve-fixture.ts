import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { runContextLoader } from '../../src/cli/run-session.ts';
import type { ForgeKind } from '../../src/forge/types.ts';
import { type ServeOptions, type Serving, serve } from '../../src/server/serve.ts';
import { SIGNATURE_HEADER, signBody } from '../../src/triggers/verify-signature.ts';
import { freePort } from './free-port.ts';
import { createGitOrigin, type GitOrigin } from './git-origin.ts';
import { waitFor } from './wait-for.ts';

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
  deliver(forge: ForgeKind, event: string, payload: unknown, opts?: DeliveryOptions): Promise<DeliveryAnswer>;
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
    deliver: (forge, event, payload, opts) => deliverWebhook(fixture.server.url, forge, event, payload, opts),
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

/** What a test may change of a delivery. */
export interface DeliveryOptions {
  delivery?: string;
  signature?: string;
  /** Signs with this secret instead of WEBHOOK_SECRET. */
  secret?: string;
  /** Sends to the app repositories' route, `/webhooks/<forge>/apps`. */
  apps?: boolean;
}

/** The answer to a delivery, and its id. */
export interface DeliveryAnswer {
  status: number;
  body: string;
  delivery: string;
}

/** Sends a webhook delivery to the serve at `url`, signed with the right secret unless `signature` is given. */
export async function deliverWebhook(
  url: string,
  forge: ForgeKind,
  event: string,
  payload: unknown,
  opts: DeliveryOptions = {},
): Promise<DeliveryAnswer> {
  const body = JSON.stringify(payload);
  const delivery = opts.delivery ?? randomUUID();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  headers[SIGNATURE_HEADER[forge]] = opts.signature ?? signBody(body, opts.secret ?? WEBHOOK_SECRET, forge);
  if (forge === 'github') {
    headers['x-github-event'] = event;
    headers['x-github-delivery'] = delivery;
  } else {
    headers['x-gitea-event'] = event;
    headers['x-gitea-delivery'] = delivery;
  }
  const res = await fetch(`${url}/webhooks/${forge}${opts.apps ? '/apps' : ''}`, {
    method: 'POST',
    headers,
    body,
  });
  return { status: res.status, body: await res.text(), delivery };
}

/** A `slipway serve` process as users start it (`bin/slipway -C CHECKOUT serve`), listening on loopback. */
export interface ServeProcess {
  url: string;
  child: ResultPromise;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** `/healthz` as it answers now. */
  health(): Promise<{ ok: boolean; pendingDeliveries: number; spooledDeliveries: number }>;
  deliver(forge: ForgeKind, event: string, payload: unknown, opts?: DeliveryOptions): Promise<DeliveryAnswer>;
  /** kill -9, as a crash: no shutdown, children orphaned. */
  crash(): Promise<void>;
  /** SIGTERM; resolves with how it exited and everything it printed. */
  stop(): Promise<{ exitCode?: number; all?: string }>;
}

const SLIPWAY_BIN = join(import.meta.dirname, '../../bin/slipway');

/** Starts `slipway serve` on `checkout` with the store at `state` and waits until it answers. */
export async function spawnServe(o: {
  checkout: string;
  state: string;
  env?: Readonly<Record<string, string>>;
  args?: readonly string[];
}): Promise<ServeProcess> {
  const port = await freePort();
  let output = '';
  const child = execa(
    SLIPWAY_BIN,
    ['-C', o.checkout, 'serve', '--listen', `127.0.0.1:${port}`, ...(o.args ?? [])],
    {
      env: { SLIPWAY_WEBHOOK_SECRET: WEBHOOK_SECRET, SLIPWAY_STATE: o.state, ...o.env },
      all: true,
      reject: false,
      // The test decides when to give up, not execa's 5 s SIGKILL.
      forceKillAfterDelay: false,
    },
  );
  child.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const url = `http://127.0.0.1:${port}`;
  const health = async () =>
    (await (await fetch(`${url}/healthz`)).json()) as Awaited<ReturnType<ServeProcess['health']>>;
  const exited = child.then(() => 'exited' as const);
  const state = await waitFor(
    'slipway serve to listen',
    () =>
      Promise.race([
        exited,
        health().then(
          (h) => h.ok && ('up' as const),
          () => false as const,
        ),
      ]),
    60_000,
  );
  if (state === 'exited') throw new Error(`slipway serve exited before it listened:\n${output}`);
  return {
    url,
    child,
    output: () => output,
    health,
    deliver: (forge, event, payload, opts) => deliverWebhook(url, forge, event, payload, opts),
    async crash() {
      child.kill('SIGKILL');
      await child;
    },
    async stop() {
      child.kill('SIGTERM');
      return await child;
    },
  };
}
