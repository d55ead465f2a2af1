// Times `loadRepo` (every file, every check) and inventory resolution on a generated ops repo of
// 200 hosts per environment x 50 apps, beside `ansible-inventory --list` on the same inventories.
// Run: node bench/validate.ts [iterations]
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { resolveInventorySync } from '../src/config/inventory/resolve.ts';
import { loadRepo } from '../src/config/load-repo.ts';
import { median } from './lib/timing.ts';

const HOSTS = 200;
const APPS = 50;
const GROUPS = 10;
const USERS = 20;
const iterations = Number(process.argv[2] ?? 7);

function write(root: string, rel: string, text: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

function publicKeyLine(comment: string): string {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  const blob = Buffer.concat([
    sshString(Buffer.from('ssh-ed25519')),
    sshString(der.subarray(der.length - 32)),
  ]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}\n`;
}

function generate(root: string): void {
  write(
    root,
    'slipway.yml',
    'environments:\n  dev: {}\n  prod:\n    branches: [main]\nteams:\n  "@acme/ops": [u0, u1]\n',
  );
  const perGroup = HOSTS / GROUPS;
  // dev: YAML inventory, one group per tier with inline vars.
  let dev = 'all:\n  vars:\n    ansible_user: root\n  children:\n';
  for (let g = 0; g < GROUPS; g++) {
    dev += `    tier${g}:\n      vars:\n        tier: ${g}\n      hosts:\n`;
    for (let h = 0; h < perGroup; h++)
      dev += `        d${g}-${h}.dev.example.test:\n          ansible_host: 10.1.${g}.${h + 1}\n`;
  }
  dev += '    web:\n      children:\n';
  for (let g = 0; g < GROUPS; g++) dev += `        tier${g}:\n`;
  write(root, 'inventories/dev/hosts.yml', dev);
  // prod: INI inventory with ranges, :vars and :children.
  let prod = '';
  for (let g = 0; g < GROUPS; g++) {
    prod += `[tier${g}]\np${g}-[01:${String(perGroup).padStart(2, '0')}].prod.example.test ansible_port=22${g}\n\n[tier${g}:vars]\ntier=${g}\n\n`;
  }
  prod += `[web:children]\n${Array.from({ length: GROUPS }, (_, g) => `tier${g}`).join('\n')}\n\n[all:vars]\nansible_user=root\n`;
  write(root, 'inventories/prod/hosts', prod);
  for (const env of ['dev', 'prod']) {
    write(root, `inventories/${env}/group_vars/all.yml`, 'ntp: pool.ntp.org\ndns: [1.1.1.1, 9.9.9.9]\n');
    for (let g = 0; g < GROUPS; g++) {
      write(
        root,
        `inventories/${env}/group_vars/tier${g}/main.yml`,
        `caddy_admin_socket: /run/caddy/admin.sock\nweight: ${g}\n`,
      );
      write(
        root,
        `inventories/${env}/group_vars/tier${g}/extra.yml`,
        `labels: { tier: "${g}", env: ${env} }\n`,
      );
    }
  }
  write(root, 'inventories/prod/host_vars/p0-01.prod.example.test.yml', 'canary: true\n');
  let access = 'users:\n  root:\n    keys: [u0, u1]\n';
  for (let u = 0; u < USERS; u++) {
    write(root, `infra/ssh-keys/u${u}.pub`, publicKeyLine(`u${u}@bench`));
    access += `  u${u}:\n    keys: [u${u}]\n    hosts: [tier${u % GROUPS}]\n`;
  }
  write(root, 'infra/access.yml', access);
  let sites = 'sites:\n';
  for (let a = 0; a < APPS; a++) {
    sites += `  app${a}.example.test:\n    hosts: web\n    routes:\n      - path: /assets\n        static: { root: /srv/app${a} }\n      - proxy: { app: app${a} }\n`;
    write(root, `apps/app${a}/compose.yml`, `services:\n  app:\n    image: \${SLIPWAY_IMAGE}\n`);
    write(root, `apps/app${a}/Dockerfile`, 'FROM scratch\n');
    write(
      root,
      `pipelines/app${a}.yml`,
      `name: app${a}
on: { push: { branches: [main], paths: [apps/app${a}/**] } }
image: registry.example.test/acme/app${a}
jobs:
  build: { steps: [ { build: { context: apps/app${a} } } ] }
  push: { needs: [build], steps: [ { push: {} } ] }
  deploy-dev:
    needs: [push]
    environment: dev
    steps: [ { deploy: { compose: apps/app${a}/compose.yml, hosts: tier${a % GROUPS} } } ]
  deploy-prod:
    needs: [deploy-dev]
    environment: prod
    approval: { approvers: [u0, "@acme/ops"], required: 1, timeout: 24h }
    steps: [ { deploy: { compose: apps/app${a}/compose.yml, hosts: tier${a % GROUPS} } } ]
`,
    );
  }
  write(root, 'infra/sites.yml', sites);
}

async function time(fn: () => unknown | Promise<unknown>, n = iterations): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

const root = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
const scratch = mkdtempSync(join(tmpdir(), 'slipway-bench-cwd-'));
try {
  generate(root);
  const first = await loadRepo(root);
  if (!first.ok)
    throw new Error(
      `generated repo is invalid:\n${first.errors.map((e) => `${e.file}:${e.line}: ${e.message}`).join('\n')}`,
    );
  const hosts = [...first.repo.inventories.values()].reduce((n, inv) => n + inv.hosts.size, 0);
  writeFileSync(join(scratch, 'ansible.cfg'), '');
  const ansibleEnv = { ...process.env, ANSIBLE_CONFIG: join(scratch, 'ansible.cfg') };
  const ansibleOutput = (env: string) =>
    execFileSync('ansible-inventory', ['-i', join(root, 'inventories', env), '--list'], {
      cwd: scratch,
      env: ansibleEnv,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  const ansible = (env: string) => () => ansibleOutput(env);
  // The timings only mean something if both sides resolve the same thing.
  for (const env of ['dev', 'prod']) {
    const ours = first.repo.inventories.get(env)!.ansibleList;
    if (!isDeepStrictEqual(ours, JSON.parse(ansibleOutput(env))))
      throw new Error(`${env}: Slipway and Ansible disagree`);
  }
  const loadRepoModule = join(import.meta.dirname, '..', 'src', 'config', 'load-repo.ts');
  const configOnly = () =>
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(loadRepoModule)}); await m.loadRepo(${JSON.stringify(root)});`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  const cli = () =>
    execFileSync(join(import.meta.dirname, '..', 'bin', 'slipway'), ['--repo', root, 'validate'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });

  const rows: [string, number, number | undefined][] = [
    [
      `loadRepo: ${first.repo.pipelines.length} pipelines, ${hosts} hosts, sites, keys`,
      await time(() => loadRepo(root)),
      undefined,
    ],
    [
      'resolve inventories/dev (YAML, 200 hosts)',
      await time(() => resolveInventorySync(join(root, 'inventories/dev'), 'dev')),
      await time(ansible('dev'), 3),
    ],
    [
      'resolve inventories/prod (INI, 200 hosts)',
      await time(() => resolveInventorySync(join(root, 'inventories/prod'), 'prod')),
      await time(ansible('prod'), 3),
    ],
    [
      'fresh node process: import config + loadRepo',
      await time(configOnly, 3),
      await time(ansible('prod'), 3),
    ],
    ['`slipway validate` process (node start incl.)', await time(cli, 3), await time(ansible('prod'), 3)],
  ];
  const fmt = (ms: number | undefined) => (ms === undefined ? '-' : ms.toFixed(1));
  const table = [['what', 'slipway ms', 'ansible-inventory ms', 'ansible / slipway']];
  for (const [what, ours, theirs] of rows) {
    table.push([what, fmt(ours), fmt(theirs), theirs === undefined ? '-' : `${(theirs / ours).toFixed(1)}x`]);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  console.log(
    `median of ${iterations} runs (ansible: 3); both sides resolve identical --list JSON; target: loadRepo under 1000 ms\n`,
  );
  for (const r of table)
    console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
} finally {
  rmSync(root, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
}
