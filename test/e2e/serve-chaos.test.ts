import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRepo } from '../../src/config/load-repo.ts';
import type { Sites } from '../../src/config/schema/sites.ts';
import { composeProject } from '../../src/deploy/release-id.ts';
import { appRoutes } from '../../src/deploy/routes.ts';
import { Store } from '../../src/store/store.ts';
import type { ReleaseRecord, RunRecord } from '../../src/store/types.ts';
import { cleanHost, startHostCaddy, stopHostCaddy, throughCaddy } from '../support/app-deploy.ts';
import { createGitOrigin, type GitOrigin } from '../support/git-origin.ts';
import { REPO_ROOT, type SandboxFixture, useSandbox } from '../support/sandbox.ts';
import { type ServeProcess, spawnServe } from '../support/serve-fixture.ts';
import { waitFor } from '../support/wait-for.ts';
import { pushPayload } from '../support/webhook-payloads.ts';

/**
 * Chaos (issue 15): `kill -9` of a `slipway serve` process at 20 random points of a pipeline with run steps and
 * an app deploy to two sandbox hosts, one sandbox and one image build cache for all of them. After each
 * restart the run ends final or resumable (an interrupted one is resumed with --retry-interrupted), each
 * host's Caddy upstream for the app points at a healthy running release, and the release ledger matches what
 * runs on the hosts. The points come from a seed the test prints: SLIPWAY_CHAOS_SEED=<seed> replays them.
 */

const HOSTS = ['dev1', 'dev2'];
const KILLS = 20;
const DOMAIN = 'web.dev.example.test';
const SEED = Number(process.env.SLIPWAY_CHAOS_SEED ?? Date.now() % 1_000_000);

/** A small deterministic PRNG (mulberry32): the same seed gives the same kill points. */
function random(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** The pipeline under test: run steps around an app deploy whose .env changes each round (a new release). */
function chaosPipeline(sb: SandboxFixture, round: number): string {
  return `name: chaos
on: { push: { branches: [main] } }
image: ${sb.registry.address}/chaos/web
registry: { username: ${sb.registry.username}, password_secret: registry_password }
secrets:
  registry_password: { env: SLIPWAY_REGISTRY_PASSWORD }
jobs:
  build:
    steps:
      - build: { context: apps/web, args: { BASE_IMAGE: "${sb.registry.baseImage}", VERSION: chaos } }
  push:
    needs: [build]
    steps:
      - push: {}
  check:
    steps:
      - run: { command: [sh, -c, "sleep 0.3; echo checked"] }
  deploy-dev:
    needs: [push, check]
    environment: dev
    steps:
      - run: { command: [echo, "round ${round}"] }
      - deploy:
          app: web
          compose: apps/web/compose.yml
          hosts: web
          batch: 100%
          services: { web: healthy }
          drain: 1s
          env: { CHAOS_ROUND: "${round}" }
      - run: { command: [sh, -c, "sleep 0.2; echo deployed"] }
`;
}

/** The ops repository: the sample app of this repository, a dev environment and its site, the chaos pipeline. */
function opsFiles(sb: SandboxFixture): Record<string, string> {
  const files: Record<string, string> = {
    'slipway.yml': `environments:\n  dev:\n    url: https://${DOMAIN}/\n`,
    'infra/sites.yml': `tls: { issuer: internal }
sites:
  ${DOMAIN}:
    environments: [dev]
    hosts: web
    routes:
      - proxy: { app: web, service: web }
`,
    'pipelines/chaos.yml': chaosPipeline(sb, 0),
  };
  for (const f of ['Dockerfile', 'compose.yml', 'www/index.html', 'www/cgi-bin/info'])
    files[`apps/web/${f}`] = readFileSync(join(REPO_ROOT, 'apps/web', f), 'utf8');
  return files;
}

describe('kill -9 of slipway serve during a pipeline with an app deploy', () => {
  let sb: SandboxFixture;
  let origin: GitOrigin;
  let dir: string;
  let checkout: string;
  let state: string;
  let serve: ServeProcess | undefined;
  let sites: Sites;
  let env: Record<string, string>;

  const slipway = (...args: string[]) =>
    execa(join(REPO_ROOT, 'bin/slipway'), ['-C', checkout, ...args], {
      env,
      reject: false,
      timeout: 300_000,
    });

  beforeAll(async () => {
    sb = await useSandbox({ name: 'chaos', hosts: HOSTS });
    for (const h of HOSTS) await cleanHost(sb, h);
    origin = await createGitOrigin();
    dir = await mkdtemp(join(tmpdir(), 'slipway-chaos-'));
    checkout = join(dir, 'ops');
    state = join(dir, 'state.db');
    env = {
      SLIPWAY_STATE: state,
      SLIPWAY_INVENTORIES: sb.inventoriesRoot,
      SLIPWAY_REGISTRY_PASSWORD: sb.registry.password,
    };
    await origin.commit(opsFiles(sb));
    await execa('git', ['clone', '--quiet', origin.url, checkout]);
    const loaded = await loadRepo(checkout, { inventoriesRoot: sb.inventoriesRoot });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    sites = loaded.repo.sitesFiles.get('infra/sites.yml')!;
    for (const h of HOSTS) await startHostCaddy(sb, h, sites, 'dev');
    serve = await spawnServe({ checkout, state, env });
  });

  afterAll(async () => {
    await serve?.crash();
    if (sb) {
      for (const h of HOSTS) {
        await stopHostCaddy(sb, h);
        await cleanHost(sb, h).catch(() => undefined);
      }
    }
    await origin?.cleanup();
    // A step process of the last run may still be writing as serve dies: retry the removal.
    if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  });

  /** Pushes round `round`'s commit and delivers it; resolves with the run it queued. */
  const push = async (round: number): Promise<number> => {
    const sha = await origin.commit({ 'pipelines/chaos.yml': chaosPipeline(sb, round) });
    const answer = await serve!.deliver(
      'github',
      'push',
      pushPayload('github', { ref: 'refs/heads/main', after: sha }),
    );
    expect(answer.status, answer.body).toBe(202);
    return withStore((store) =>
      waitFor(
        `the run of round ${round}`,
        () => store.runs.list({ limit: 1000 }).find((r) => r.sha === sha)?.id,
        60_000,
      ),
    );
  };

  const withStore = async <T>(fn: (store: Store) => Promise<T> | T): Promise<T> => {
    const store = new Store(state);
    try {
      return await fn(store);
    } finally {
      store.close();
    }
  };

  /**
   * Waits until no live process executes the run, then resumes it if it was interrupted; returns its end and
   * what the restarted serve left it as (final, or interrupted and resumed).
   */
  const settle = async (runId: number): Promise<{ end: RunRecord; found: string }> => {
    const run = await withStore((store) =>
      waitFor(
        `run ${runId} to end or be resumable`,
        () => {
          const r = store.runs.get(runId)!;
          return ['succeeded', 'failed', 'canceled', 'interrupted'].includes(r.status) && r;
        },
        240_000,
      ),
    );
    if (run.status !== 'interrupted') return { end: run, found: run.status };
    // The operator's checkout follows the origin, so it holds the policy commit serve has in force.
    await execa('git', ['-C', checkout, 'pull', '--quiet', '--ff-only']);
    const resumed = await slipway('resume', String(runId), '--retry-interrupted');
    expect(resumed.exitCode, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    return { end: await withStore((store) => store.runs.get(runId)!), found: 'interrupted, resumed' };
  };

  /** Each host, whatever the kill interrupted: Caddy's upstream for the app dials a running release that answers. */
  const checkServing = async (when: string): Promise<void> => {
    for (const h of HOSTS) {
      const dial = await caddyDial(h);
      const running = await runningProjects(h);
      expect(
        running.map((r) => r.port),
        `${h}, ${when}: a release runs where Caddy dials`,
      ).toContain(dial);
      expect(await throughCaddy(sb, h, DOMAIN, '/version.txt'), `${h}, ${when}`).toBe('web chaos 200');
    }
  };

  /** Each host: Caddy's upstream for the app dials a running, healthy release, which the ledger names last. */
  const checkHosts = async (): Promise<void> => {
    const ledger = JSON.parse(
      (await slipway('releases', 'dev', '--app', 'web', '--json')).stdout,
    ) as ReleaseRecord[];
    for (const h of HOSTS) {
      const latest = ledger.find((r) => r.host === h);
      expect(latest, `a ledger entry for ${h}`).toBeDefined();
      const dial = await caddyDial(h);
      const running = await runningProjects(h);
      expect(running, `${h}: the running releases`).toEqual([
        { project: composeProject('web', latest!.releaseId), port: dial },
      ]);
      const info = await throughCaddy(sb, h, DOMAIN, '/cgi-bin/info');
      expect(info, `${h} through Caddy`).toMatch(new RegExp(`release=${latest!.releaseId} 200$`));
      const marker = JSON.parse(await sb.exec(h, ['cat', '/srv/slipway/apps/web/current/release.json']));
      expect(marker.release, `${h}: the current link`).toBe(latest!.releaseId);
    }
  };

  /** The port Caddy's reverse proxy for the app dials on `host`. */
  const caddyDial = async (host: string): Promise<number> => {
    const [route] = appRoutes(sites, 'web', 'dev', { name: host, groups: ['all', 'web'] });
    const id = route!.upstreamId.replaceAll('%', '%25');
    const upstreams = JSON.parse(
      await sb.exec(host, [
        'curl',
        '-sf',
        '--unix-socket',
        '/run/caddy/admin.sock',
        `http://localhost/id/${id}/upstreams`,
      ]),
    ) as { dial: string }[];
    expect(upstreams, `${host}: Caddy's upstreams`).toHaveLength(1);
    return Number(upstreams[0]!.dial.replace('127.0.0.1:', ''));
  };

  /** The compose projects of the app running on `host`, each with the host port of its web service. */
  const runningProjects = async (host: string): Promise<{ project: string; port: number }[]> => {
    const rows = await sb.exec(host, [
      'docker',
      'ps',
      '--format',
      '{{.Label "com.docker.compose.project"}} {{.Ports}}',
    ]);
    return rows
      .split('\n')
      .filter((l) => l.startsWith('web-'))
      .map((l) => {
        const [project, ports] = l.split(' ', 2);
        return { project: project!, port: Number(/127\.0\.0\.1:(\d+)->8080/.exec(ports ?? '')?.[1]) };
      })
      .sort((a, b) => a.project.localeCompare(b.project));
  };

  /** The run's events so far: the kill points are counted in them. */
  const eventCount = (runId: number) => withStore((store) => store.events.after(runId, 0, 100_000).length);

  it(`leaves every run final or resumable, no host half-switched and the ledger true (seed ${SEED})`, async () => {
    console.log(`chaos seed ${SEED} (replay: SLIPWAY_CHAOS_SEED=${SEED})`);
    const began = Date.now();
    const rnd = random(SEED);
    // Round 0 runs undisturbed: the app's first release, and how many events a whole run has.
    const first = await push(0);
    expect((await settle(first)).end.status).toBe('succeeded');
    await checkHosts();
    const total = await eventCount(first);

    for (let round = 1; round <= KILLS; round++) {
      const point = { events: 1 + rnd(total), delayMs: rnd(500) };
      const runId = await push(round);
      await waitFor(
        `event ${point.events} of run ${runId}`,
        async () => (await eventCount(runId)) >= point.events,
        240_000,
      );
      await sleep(point.delayMs);
      const before = await withStore((store) => runPosition(store, runId));
      await serve!.crash();
      await checkServing(`round ${round}, just killed (${before})`);
      serve = await spawnServe({ checkout, state, env });
      const { end, found } = await settle(runId);
      const outcome = `round ${round}: killed at event ${point.events} +${point.delayMs} ms (${before}) -> ${found} -> ${end.status}, ${((Date.now() - began) / 1000).toFixed(0)} s in`;
      console.log(outcome);
      expect(end.status, outcome).toBe('succeeded');
      await checkHosts();
    }
    // Nothing is left running, queued or interrupted.
    const open = await withStore((store) =>
      store.runs.list({ status: ['queued', 'running', 'waiting', 'interrupted'], limit: 100 }),
    );
    expect(open).toEqual([]);
  }, 600_000);
});

/** Where a run stands: its status and the steps running, for the round's line in the report. */
function runPosition(store: Store, runId: number): string {
  const running = store.runs.steps(runId).filter((s) => s.status === 'running');
  return `${store.runs.get(runId)!.status}${running.map((s) => `, ${s.job}[${s.idx}] ${s.name}`).join('')}`;
}
