import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { listInstances, SandboxPreflightError } from '../../sandbox/instance.ts';
import { DEFAULT_INSTANCE } from '../../sandbox/plan.ts';
import { REGISTRY_AUTH_MODES, type RegistryAuth } from '../../sandbox/registry.ts';
import {
  down,
  type SandboxHostsInfo,
  type SandboxInfo,
  type UpReport,
  up,
  upThin,
} from '../../sandbox/sandbox.ts';
import { type StatusReport, status } from '../../sandbox/status.ts';
import { CliError } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import type { RegisterCommand } from './index.ts';

interface SandboxFlags {
  name: string;
  hosts?: string;
  debian?: boolean;
  postgres?: boolean;
  thin?: boolean;
  bare?: boolean;
  registryAuth?: RegistryAuth;
  all?: boolean;
  json?: boolean;
  repo: string;
}

function flags(cmd: Command): SandboxFlags {
  const f = cmd.optsWithGlobals() as SandboxFlags;
  return { ...f, repo: resolve(f.repo) };
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Prints the status table: one row per host, then the registry. */
function renderStatus(r: StatusReport): string {
  if (!r.exists)
    return `sandbox ${r.name} is not up (run: slipway sandbox up${r.name === DEFAULT_INSTANCE ? '' : ` --name ${r.name}`})`;
  const mark = (h: { ok: boolean; detail: string }) => `${h.ok ? 'ok' : 'DOWN'} (${h.detail})`;
  const rows = [['HOST', 'ENV', 'ADDRESS', 'SSHD', 'DOCKERD', 'CADDY']];
  for (const h of r.hosts) {
    rows.push([
      h.name,
      h.env,
      h.address,
      mark(h.sshd),
      mark(h.dockerd),
      h.caddy.ok ? `running (${h.caddy.detail})` : '-',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  if (r.registry) lines.push('', `registry ${r.registry.address}: ${mark(r.registry)}`);
  lines.push(
    '',
    `sandbox ${r.name}: ${r.healthy ? 'healthy' : 'UNHEALTHY (run `slipway sandbox up` to repair)'}`,
  );
  return lines.join('\n');
}

/** Runs a sandbox action; a failed preflight says every problem found, one per line. */
async function guarded(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (!(err instanceof SandboxPreflightError)) throw err;
    throw new CliError(`sandbox: cannot start, nothing was created:\n  ${err.problems.join('\n  ')}`);
  }
}

/** `slipway sandbox up|down|status`: disposable local servers for the demo and the e2e tests. */
export const registerSandbox: RegisterCommand = (program) => {
  const sandbox = program
    .command('sandbox')
    .description('disposable local servers (network namespaces with sshd, dockerd) and a registry');
  const withName = (c: Command) =>
    c.option('--name <name>', 'sandbox instance (the demo uses the default)', DEFAULT_INSTANCE);

  withName(sandbox.command('up'))
    .description('create the sandbox, or repair what is missing')
    .option(
      '--hosts <list>',
      'comma-separated hosts, each env:name (e.g. staging:web1,prod:web2) or a name: devN and prodN go to dev and prod, others to test',
    )
    .option('--debian', 'also build a Debian image with mmdebstrap (slow: downloads from the Debian mirror)')
    .option(
      '--postgres',
      "also build PostgreSQL 15 from Debian's packages on that image (once per machine: about a minute), for apps with a database",
    )
    .addOption(
      new Option(
        '--registry-auth <mode>',
        'how the registry authenticates: basic (htpasswd) or token (a Bearer challenge answered by a local token service, as GHCR and Gitea do)',
      )
        .choices(REGISTRY_AUTH_MODES)
        .default('basic'),
    )
    .option(
      '--thin',
      'hosts with sshd only: no dockerd, no registry (for infra pipelines on many hosts, e.g. 200)',
    )
    .option(
      '--bare',
      'hosts on their own Debian rootfs (mmdebstrap, once per machine) with sshd only: the infra pipeline installs Docker and Caddy there from a local apt repository',
    )
    .option('--json', 'print the result as JSON')
    .action(async (_o, cmd: Command) =>
      guarded(async () => {
        const f = flags(cmd);
        const hosts = f.hosts
          ?.split(',')
          .map((h) => h.trim())
          .filter(Boolean);
        if (f.thin && f.bare) throw new CliError('sandbox up: give --thin or --bare, not both');
        if (f.thin && (f.debian || f.postgres || f.registryAuth === 'token'))
          throw new CliError(
            'sandbox up: --thin hosts have no registry, so no --debian, --postgres or --registry-auth token',
          );
        const log = (l: string) => process.stderr.write(`${l}\n`);
        const r: UpReport<SandboxHostsInfo & Partial<Pick<SandboxInfo, 'registry'>>> = f.thin
          ? await upThin({ repoRoot: f.repo, name: f.name, hosts, log })
          : await up({
              repoRoot: f.repo,
              name: f.name,
              hosts,
              debian: f.debian,
              postgres: f.postgres,
              registryAuth: f.registryAuth,
              bare: f.bare,
              log,
            });
        const reg = r.info.registry;
        if (f.json)
          return out(
            JSON.stringify(
              {
                ...r.info,
                ...(reg ? { registry: { ...reg, password: undefined } } : {}),
                thin: f.thin === true,
                timings: r.timings,
                repaired: r.repaired,
              },
              null,
              2,
            ),
          );
        for (const h of r.info.hosts) out(`${h.name.padEnd(8)} ${h.env.padEnd(5)} ${h.user}@${h.address}`);
        if (reg) {
          out(`registry   ${reg.address} (${reg.auth} auth, user ${reg.username}, CA ${reg.caCert})`);
          out(`base image ${reg.baseImage}`);
          if (reg.debianImage) out(`debian image ${reg.debianImage}`);
          if (reg.postgresImage) out(`postgres image ${reg.postgresImage}`);
        }
        out(`inventories ${r.info.inventoriesRoot}`);
        if (r.repaired.length > 0) out(`repaired: ${r.repaired.join(', ')}`);
        const phases = Object.entries(r.timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}s`);
        out(`sandbox ${r.info.name} up (${phases.join(', ')})`);
      }),
    );

  withName(sandbox.command('down'))
    .description('remove everything the sandbox made (also after a crash)')
    .option('--all', 'every instance of this repository (the demo and the test instances)')
    .action(async (_o, cmd: Command) =>
      guarded(async () => {
        const f = flags(cmd);
        for (const name of f.all ? listInstances(f.repo) : [f.name]) {
          const r = await down({ repoRoot: f.repo, name });
          out(r.removed ? `sandbox ${name} removed` : `sandbox ${name} was not up`);
        }
      }),
    );

  withName(sandbox.command('status'))
    .description('each host and component with its health')
    .option('--json', 'print the report as JSON')
    .action(async (_o, cmd: Command) => {
      const f = flags(cmd);
      const r = await status({ repoRoot: f.repo, name: f.name });
      out(f.json ? JSON.stringify(r, null, 2) : renderStatus(r));
      if (!r.healthy) process.exitCode = ExitCode.Failed;
    });
};
