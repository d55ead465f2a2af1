// A scheduled drift check and a scheduled run through a real `slipway serve`: the schedule fires (its
// clock moved to just before a minute), the check plans the caddy step against a real Caddy over a real
// SSH-forwarded socket, records the drift and applies nothing; the scheduled run waits at its gate and
// changes Caddy only once approved; the next check finds the host in sync.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { submitDecision } from '../../../src/approvals/service.ts';
import { runContextLoader } from '../../../src/cli/run-session.ts';
import { pipeline } from '../../../src/config/schema/pipeline.ts';
import type { DriftCheckRecord } from '../../../src/store/types.ts';
import { type LocalCaddy, startLocalCaddy } from '../../support/caddy.ts';
import { projectPolicy } from '../../support/policy.ts';
import { type ServeFixture, startServeFixture } from '../../support/serve-fixture.ts';
import { startThrowawaySshd, type ThrowawaySshd } from '../../support/throwaway-sshd.ts';
import { waitFor } from '../../support/wait-for.ts';

const INFRA = `
name: infra
on:
  schedule:
    - { cron: "* * * * *", mode: plan }
    - { cron: "* * * * *", mode: run }
jobs:
  caddy-dev:
    environment: dev
    approval: { approvers: [bob], required: 1 }
    steps:
      - caddy: { hosts: web, install: false }
`;
const SITES = `
tls: { issuer: internal }
sites:
  app.test:
    routes:
      - custom: { handler: static_response, body: "hello" }
`;

let sshd: ThrowawaySshd;
let caddy: LocalCaddy;
let fx: ServeFixture;
const checked: DriftCheckRecord[] = [];
/** The schedule's clock runs this far ahead of the real one. */
let ahead = 0;
/** Moves the schedule's clock to 1.5 s before the next wall-clock minute after `after`. */
const dueSoon = (after: number) => {
  ahead = (Math.floor(after / 60_000) + 1) * 60_000 - 1_500 - Date.now();
};
const liveConfig = async () => JSON.stringify((await caddy.admin.get('/config/')).value);

beforeAll(async () => {
  sshd = await startThrowawaySshd();
  caddy = await startLocalCaddy();
  const host = {
    ansible_host: '127.0.0.1',
    ansible_port: sshd.port,
    ansible_user: 'root',
    ansible_ssh_private_key_file: sshd.sshKey,
    slipway_known_hosts: sshd.knownHosts,
    caddy_admin_socket: caddy.socket,
    caddy_http_port: caddy.ports.http,
    caddy_https_port: caddy.ports.https,
  };
  const files = {
    'slipway.yml': 'environments: { dev: {} }\npeople: { bob: { os: [tester] } }\n',
    'pipelines/infra.yml': INFRA,
    'infra/sites.yml': SITES,
    'inventories/dev/hosts.yml': JSON.stringify({ all: { children: { web: { hosts: { web1: host } } } } }),
  };
  dueSoon(Date.now());
  fx = await startServeFixture(
    {
      worker: { concurrency: 2, pollMs: 100, graceMs: 1_000 },
      loadRun: runContextLoader,
      clock: () => new Date(Date.now() + ahead),
      driftChecked: (c) => {
        checked.push(c);
      },
      // `slipway serve` reads the schedule from its checkout at start.
      schedulePipelines: [
        { file: 'pipelines/infra.yml', pipeline: pipeline.parse(parse(INFRA)), positions: new Map() },
      ],
    },
    files,
  );
}, 60_000);

afterAll(async () => {
  await fx?.close();
  await caddy?.stop();
  await sshd?.close();
});

describe('scheduled drift check and scheduled run', () => {
  it('records the drift of the live Caddy, reports it, and applies nothing', async () => {
    const before = await liveConfig();
    const [check] = await waitFor(
      'the drift check',
      () => fx.server.store.drift.latest('dev').length && fx.server.store.drift.latest('dev'),
      30_000,
    );
    expect(check).toMatchObject({ pipeline: 'infra', environment: 'dev', branch: 'main', status: 'drift' });
    expect(check!.changes).toBeGreaterThan(0);
    expect(check!.plan.map((j) => j.job)).toEqual(['caddy-dev']);
    expect(checked.map((c) => c.id)).toEqual([check!.id]);
    expect(await liveConfig()).toBe(before);
    expect(
      fx.logs.some((l) =>
        /schedule infra\[0\] "\* \* \* \* \*" \(plan of main\): next .* the runner's time zone/.test(l),
      ),
    ).toBe(true);
  });

  it('queues the scheduled run, which waits at its gate with the same changes until approved', async () => {
    const before = await liveConfig();
    const run = await waitFor(
      'the scheduled run at its gate',
      () => {
        const r = fx.server.store.runs.list()[0];
        return r?.status === 'waiting' && r;
      },
      30_000,
    );
    expect(run).toMatchObject({ pipeline: 'infra', triggeredBy: 'schedule', branch: 'main' });
    const gate = fx.server.store.gates.latest(run.id, 'caddy-dev')!;
    const drift = fx.server.store.drift.latest('dev')[0]!;
    expect(gate.plan.flatMap((s) => s.changes)).toEqual(
      drift.plan.flatMap((j) => j.steps.flatMap((s) => s.changes)),
    );
    expect(await liveConfig()).toBe(before);

    const decided = await submitDecision(fx.server.store, {
      runId: run.id,
      job: 'caddy-dev',
      actor: { identity: { channel: 'os', login: 'tester' }, channel: 'cli' },
      decision: 'approve',
      policy: projectPolicy({ people: { bob: { os: ['tester'] } } }),
    });
    expect(decided.accepted, decided.reason).toBe(true);
    fx.server.worker!.tick();
    await waitFor(
      'the run to succeed',
      () => fx.server.store.runs.get(run.id)!.status === 'succeeded',
      30_000,
    );
    expect(await liveConfig()).not.toBe(before);
  });

  it('finds the host in sync at the next scheduled check after a restart', async () => {
    const last = fx.server.store.drift.latest('dev')[0]!;
    dueSoon(Date.now() + ahead);
    // Armed at start from the clock: a restart just before the next minute makes it due at once.
    await fx.restart();
    const next = await waitFor(
      'the next drift check',
      () => {
        const c = fx.server.store.drift.latest('dev')[0];
        return c && c.id !== last.id && c;
      },
      30_000,
    );
    expect(next).toMatchObject({ status: 'clean', changes: 0 });
    expect(fx.server.store.drift.previous(next)!.id).toBe(last.id);
  });
});
