/**
 * App pipeline bench on sandbox hosts (instance "appbench", 8 hosts w1..w8, reused when up):
 *  1. build + push + deploy to one host until healthy: Slipway's steps vs bench/app-baseline.sh, a
 *     hand-written docker build/push + ssh pull/up/health script (target: <= 1.10x);
 *  2. deploy only (a new digest each time) to 8 hosts vs 1 host (target <= 1.5x), and vs
 *     ansible-playbook (bench/app-ansible.yml, forks=8) doing the same pull and up (target: >= 3x faster);
 *     beside each, the machine's busy CPU-seconds: the 8 sandbox hosts share the runner's cores, so
 *     CPU / cores is a floor no deploy to them can beat (real hosts each bring their own);
 *  3. zero downtime: wrk through Caddy on a host during a Slipway deploy (failed requests must be 0),
 *     beside the same load during a naive `docker-compose up -d` that recreates the container.
 * Run: node bench/app.ts [--reps N] [--part 1|2|3]. Prints medians (ms) and ratios against the baselines
 * of the same run.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { sites as sitesSchema } from '../src/config/schema/sites.ts';
import type { Inventory } from '../src/config/types.ts';
import { buildHandler } from '../src/steps/build.ts';
import { deployHandler } from '../src/steps/deploy.ts';
import { buildKind } from '../src/steps/kinds/build.ts';
import { deployKind } from '../src/steps/kinds/deploy.ts';
import { pushKind } from '../src/steps/kinds/push.ts';
import { pushHandler } from '../src/steps/push.ts';
import { cleanHost, sandboxInventory, startHostCaddy, stopHostCaddy } from '../test/support/app-deploy.ts';
import { REPO_ROOT, type SandboxFixture, useSandbox } from '../test/support/sandbox.ts';
import { stepContext } from '../test/support/step-context.ts';
import { numberArg } from './lib/number-arg.ts';
import { printTable } from './lib/print-table.ts';
import { type CpuSample, median, timed, timedWithCpu } from './lib/timing.ts';

const REPS = numberArg('--reps', 3);
const partArg = process.argv.indexOf('--part');
const PARTS = partArg > 0 ? [Number(process.argv[partArg + 1])] : [1, 2, 3];
const NAMES = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8'];

const ratio = (x: number, base: number) => `${(x / base).toFixed(2)}x`;

const sb: SandboxFixture = await useSandbox({ name: 'appbench', hosts: NAMES });
const image = `${sb.registry.address}/bench/web`;
const secrets = { REGISTRY_PASSWORD: sb.registry.password };
const pipeline = {
  name: 'web',
  image,
  registry: { username: sb.registry.username, password_secret: 'REGISTRY_PASSWORD' },
  secrets: { REGISTRY_PASSWORD: { env: 'REGISTRY_PASSWORD' } },
  jobs: { deploy: { steps: [{ deploy: { compose: 'apps/web/compose.yml' } }] } },
};
const sites = sitesSchema.parse({
  tls: { issuer: 'internal' },
  sites: {
    'web.test': { routes: [{ path: '/', proxy: { app: 'web' } }] },
    // The naive baseline: a plain proxy to a fixed port, no retries, as a hand-made setup has.
    'naive.test': {
      routes: [{ path: '/', custom: { handler: 'reverse_proxy', upstreams: [{ dial: '127.0.0.1:21998' }] } }],
    },
  },
});
const sha = (n: number) => n.toString(16).padStart(40, 'e');
let shaCounter = Date.now() % 1_000_000;
// Local tags the bench made on the runner's daemon, removed at the end.
const tags: string[] = [];

async function buildAndPush(version: string): Promise<{ sha: string; digest: string }> {
  const s = sha(shaCounter++);
  tags.push(`${image}:${s}`);
  const { ctx, outputs } = stepContext({ workdir: REPO_ROOT, sha: s, secrets, pipeline });
  await buildHandler.apply(
    ctx,
    buildKind.schema.parse({
      build: { context: 'apps/web', args: { BASE_IMAGE: sb.registry.baseImage, VERSION: version } },
    }),
  );
  await pushHandler.apply(ctx, pushKind.schema.parse({ push: {} }));
  return { sha: s, digest: outputs['image.digest']! };
}

async function deploy(
  inventory: Inventory,
  build: { sha: string; digest: string },
  drain = '0s',
): Promise<void> {
  const { ctx, lines } = stepContext({
    workdir: REPO_ROOT,
    sha: build.sha,
    secrets,
    pipeline,
    inventory,
    outputs: { 'image.digest': build.digest },
    repo: { sitesFiles: new Map([['infra/sites.yml', sites]]) },
  });
  const step = deployKind.schema.parse({
    deploy: {
      compose: 'apps/web/compose.yml',
      hosts: 'web',
      batch: '100%',
      drain,
      services: { web: 'healthy' },
    },
  });
  try {
    await deployHandler.apply(ctx, step);
  } catch (err) {
    console.error(lines.map((l) => `${l.host ?? ''} ${l.line}`).join('\n'));
    throw err;
  }
}

const baselineEnv = {
  ...process.env,
  REGISTRY_USER: sb.registry.username,
  REGISTRY_PASSWORD: sb.registry.password,
  SSH_KEY: sb.sshKey,
  KNOWN_HOSTS: sb.knownHosts,
};
const addressOf = (h: string) => sb.hosts.find((x) => x.name === h)!.address;

try {
  for (const h of NAMES) await cleanHost(sb, h);
  const one = sandboxInventory(sb, 'test', ['w1']);
  const eight = sandboxInventory(sb, 'test', NAMES);

  // 1. The whole pipeline for one host against the hand-written script; each rep builds a new version.
  if (PARTS.includes(1)) await partOne(one);
  const builds = [await buildAndPush('A'), await buildAndPush('B')];
  if (PARTS.includes(2)) await partTwo(one, eight, builds);
  if (PARTS.includes(3)) await partThree(one, builds);
} finally {
  await stopHostCaddy(sb, 'w1').catch(() => undefined);
  for (const h of NAMES) await cleanHost(sb, h).catch(() => undefined);
  for (const h of NAMES)
    await sb
      .exec(h, ['rm', '-rf', '/srv/naive', '/srv/baseline', '/srv/ansible-bench'])
      .catch(() => undefined);
  if (tags.length > 0) await execa('docker', ['rmi', '--force', ...tags], { reject: false });
}

type Build = { sha: string; digest: string };

function tagged(tag: string): string {
  tags.push(`${image}:${tag}`);
  return tag;
}

async function partOne(one: Inventory): Promise<void> {
  const pipelineMs: number[] = [];
  const scriptMs: number[] = [];
  for (let i = 0; i < REPS; i++) {
    pipelineMs.push(
      await timed(async () => {
        const b = await buildAndPush(`slipway-${Date.now()}`);
        await deploy(one, b);
      }),
    );
    scriptMs.push(
      await timed(() =>
        execa(
          join(REPO_ROOT, 'bench/app-baseline.sh'),
          [
            image,
            tagged(sha(shaCounter++)),
            `script-${Date.now()}`,
            sb.registry.baseImage,
            addressOf('w1'),
            '21999',
          ],
          {
            env: baselineEnv,
          },
        ),
      ),
    );
  }
  printTable(
    '1. build + push + deploy one host until healthy (ms, median)',
    ['', 'median', 'vs script'],
    [
      ['hand-written script', median(scriptMs), '1.00x'],
      ['slipway build/push/deploy', median(pipelineMs), ratio(median(pipelineMs), median(scriptMs))],
    ],
  );
}

// 2. Deploy only: alternate two digests so every deploy really replaces a release.
async function partTwo(one: Inventory, eight: Inventory, builds: Build[]): Promise<void> {
  await deploy(eight, builds[1]!);
  const dir = await mkdtemp(join(tmpdir(), 'slipway-appbench-'));
  const inv = join(dir, 'hosts.yml');
  await writeFile(
    inv,
    `all:\n  hosts:\n${NAMES.map((h) => `    ${h}: { ansible_host: ${addressOf(h)}, ansible_user: root }`).join('\n')}\n`,
  );
  const ansible = (ref: string) =>
    execa(
      'ansible-playbook',
      [
        '-i',
        inv,
        '--forks',
        '8',
        join(REPO_ROOT, 'bench/app-ansible.yml'),
        '-e',
        `@${join(dir, 'vars.json')}`,
        '-e',
        `image_ref=${ref}`,
      ],
      {
        env: {
          ...process.env,
          ANSIBLE_PRIVATE_KEY_FILE: sb.sshKey,
          ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${sb.knownHosts} -o StrictHostKeyChecking=yes -o ControlMaster=auto -o ControlPersist=60s`,
          ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
          ANSIBLE_PIPELINING: 'True',
        },
      },
    );
  await writeFile(
    join(dir, 'vars.json'),
    JSON.stringify({
      compose_file: join(REPO_ROOT, 'apps/web/compose.yml'),
      app_port: 21997,
      registry: sb.registry.address,
      registry_user: sb.registry.username,
      registry_password: sb.registry.password,
    }),
    { mode: 0o600 },
  );
  const one1: CpuSample[] = [];
  const eight8: CpuSample[] = [];
  const ansible8: CpuSample[] = [];
  for (let i = 0; i < REPS; i++) {
    const b = builds[i % 2]!;
    one1.push(await timedWithCpu(() => deploy(one, b)));
    eight8.push(await timedWithCpu(() => deploy(eight, b)));
    ansible8.push(await timedWithCpu(() => ansible(`${image}@${b.digest}`)));
  }
  await rm(dir, { recursive: true, force: true });
  const [o, e, a] = [one1, eight8, ansible8].map((s) => ({
    ms: median(s.map((x) => x.ms)),
    cpuS: median(s.map((x) => x.cpuS)),
    runnerS: median(s.map((x) => x.runnerS)),
  })) as [CpuSample, CpuSample, CpuSample];
  // Every sandbox "server" runs on the runner's own cores, so a deploy can take no less than the
  // CPU its processes spend, shared out over those cores; real hosts each bring their own.
  const cores = availableParallelism();
  const floor = (s: CpuSample) => (s.cpuS / cores) * 1000;
  const row = (label: string, s: CpuSample, vsOne: string, vsEight: string, floorVsOne: string) => [
    label,
    s.ms,
    vsOne,
    vsEight,
    s.cpuS.toFixed(2),
    s.runnerS.toFixed(2),
    floor(s),
    floorVsOne,
  ];
  printTable(
    `2. deploy a new digest (median; CPU s = busy CPU-seconds of the whole machine, ${cores} cores;` +
      ' controller = the runner process and its ssh clients, or ansible-playbook and its children)',
    [
      '',
      'ms',
      'vs slipway 1 host',
      'vs slipway 8 hosts',
      'CPU s',
      'controller CPU s',
      'CPU floor ms',
      'floor vs 1 host',
    ],
    [
      row('slipway, 1 host', o, '1.00x', '', ratio(floor(o), o.ms)),
      row('slipway, 8 hosts (batch 100%)', e, ratio(e.ms, o.ms), '1.00x', ratio(floor(e), o.ms)),
      row('ansible-playbook, 8 hosts, forks=8', a, '', ratio(a.ms, e.ms), ''),
    ],
  );
}

// 3. Zero downtime through Caddy on w1.
async function partThree(one: Inventory, builds: Build[]): Promise<void> {
  // From a bare host, so the first deploy below really releases and points Caddy at it.
  await cleanHost(sb, 'w1');
  await startHostCaddy(sb, 'w1', sites, 'test');
  await deploy(one, builds[0]!);
  const wrk = (domain: string) =>
    sb.exec('w1', [
      'wrk',
      '-t2',
      '-c8',
      '-d12s',
      '--timeout',
      '5s',
      '-H',
      `Host: ${domain}`,
      'http://127.0.0.1/version.txt',
    ]);
  const parse = (out: string) => {
    const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
    const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    const [connect, read, write, timeout] = sock ? sock.slice(1).map(Number) : [0, 0, 0, 0];
    const failed = non2xx + connect! + read! + write! + timeout!;
    // Which kind tells a dropped upstream (non-2xx, read) from a starved load generator (timeout).
    const kinds = `non-2xx ${non2xx}, connect ${connect}, read ${read}, write ${write}, timeout ${timeout}`;
    return { total, failed, kinds };
  };
  const during = async (domain: string, action: () => Promise<unknown>) => {
    const load = wrk(domain);
    await new Promise((r) => setTimeout(r, 2000));
    await action();
    return parse(await load);
  };
  const slipwayLoad = await during('web.test', () => deploy(one, builds[1]!, '2s'));
  const naiveCompose = (ref: string) =>
    sb.exec('w1', [
      'sh',
      '-c',
      `mkdir -p /srv/naive && cd /srv/naive && cp /srv/slipway/apps/web/current/compose.yml . && printf 'SLIPWAY_IMAGE=%s\\nSLIPWAY_PORT_WEB=21998\\nSLIPWAY_VOLUME=/srv/naive/v\\nSLIPWAY_ENVIRONMENT=test\\nSLIPWAY_URL=\\nSLIPWAY_RELEASE=naive\\n' "$1" > .env && sed -i "s|image: .*|image: \\\${SLIPWAY_IMAGE}|" compose.yml && docker-compose -p naive up -d 2>/dev/null && until curl -fs -o /dev/null http://127.0.0.1:21998/healthz; do sleep 0.2; done`,
      'naive',
      ref,
    ]);
  await naiveCompose(`${image}@${builds[0]!.digest}`);
  const naiveLoad = await during('naive.test', () => naiveCompose(`${image}@${builds[1]!.digest}`));
  printTable(
    '3. HTTP load through Caddy during a deploy (wrk, 8 connections, 12 s)',
    ['', 'requests', 'failed', 'of which'],
    [
      [
        'slipway deploy (new release beside the old, upstream switch, drain)',
        slipwayLoad.total,
        slipwayLoad.failed,
        slipwayLoad.kinds,
      ],
      [
        'naive docker-compose up -d (recreates the container)',
        naiveLoad.total,
        naiveLoad.failed,
        naiveLoad.kinds,
      ],
    ],
  );
}
