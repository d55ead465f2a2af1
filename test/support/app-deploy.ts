import { execFileSync } from 'node:child_process';
import { renderCaddyConfig } from '../../src/caddy/render.ts';
import type { Sites } from '../../src/config/schema/sites.ts';
import type { Inventory, InventoryHost } from '../../src/config/types.ts';
import type { SandboxFixture } from './sandbox.ts';

/** An Inventory of some sandbox hosts (all in group `web`), as the config loader would resolve it. */
export function sandboxInventory(
  sb: SandboxFixture,
  environment: string,
  names: readonly string[],
): Inventory {
  const hosts = new Map<string, InventoryHost>();
  for (const name of names) {
    const h = sb.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`sandbox ${sb.name} has no host ${name}`);
    hosts.set(name, {
      name,
      address: h.address,
      port: h.port,
      user: h.user,
      groups: ['all', 'web'],
      vars: {
        ansible_user: h.user,
        ansible_ssh_private_key_file: sb.sshKey,
        slipway_known_hosts: sb.knownHosts,
      },
    });
  }
  return {
    environment,
    dir: sb.inventoriesRoot,
    hosts,
    groups: new Map([
      ['all', [...names]],
      ['web', [...names]],
    ]),
    ansibleList: {},
  };
}

const CADDY_DIR = '/srv/caddy-e2e';

/** Starts Caddy on a sandbox host with the config rendered from `sites` (admin API on the default socket). */
export async function startHostCaddy(
  sb: SandboxFixture,
  host: string,
  sites: Sites,
  environment: string,
): Promise<void> {
  const config = renderCaddyConfig({
    sites,
    environment,
    host: { name: host, groups: ['all', 'web'] },
    upstreams: new Map(),
  });
  await sb.exec(host, ['sh', '-c', `mkdir -p ${CADDY_DIR} /run/caddy && cat > ${CADDY_DIR}/config.json`], {
    input: JSON.stringify(config),
  });
  await stopHostCaddy(sb, host);
  // `caddy start` leaves `caddy run` behind: it must not inherit our pipes, or exec would wait for it forever.
  await sb.exec(host, [
    'sh',
    '-c',
    `HOME=${CADDY_DIR} caddy start --config ${CADDY_DIR}/config.json >${CADDY_DIR}/caddy.log 2>&1`,
  ]);
}

/** Stops the Caddy `startHostCaddy` started, if it runs. */
export async function stopHostCaddy(sb: SandboxFixture, host: string): Promise<void> {
  await sb
    .exec(host, [
      'sh',
      '-c',
      'test -S /run/caddy/admin.sock && caddy stop --address unix//run/caddy/admin.sock || true',
    ])
    .catch(() => undefined);
}

/** curl argv of a GET to `url` for `domain`, printing `<body> <status>`. */
export function curlForDomain(domain: string, url: string): string[] {
  return [
    'curl',
    '-s',
    '--max-time',
    // Caddy retries an app route without upstreams for 5 s before it answers 503.
    '15',
    '-w',
    ' %{http_code}',
    '-H',
    `Host: ${domain}`,
    url,
  ];
}

/** GETs `path` through the host's Caddy for `domain` and returns `<body> <status>`, whitespace collapsed. */
export async function throughCaddy(
  sb: SandboxFixture,
  host: string,
  domain: string,
  path: string,
): Promise<string> {
  return (await sb.exec(host, curlForDomain(domain, `http://127.0.0.1${path}`))).replace(/\s+/g, ' ').trim();
}

/**
 * Cuts a sandbox host off SSH at once, like a crashed machine: kills every sshd in the host's network
 * namespace (the listener and the sessions the runner's multiplexed connection rides on). Synchronous,
 * so a test can do it from inside a progress callback before the rollout moves on.
 */
export function killHostSsh(sb: SandboxFixture, host: string): void {
  const netns = `slipway-${sb.name}-${host}`;
  const pids = execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const pid of pids) {
    let comm = '';
    try {
      comm = execFileSync('cat', [`/proc/${pid}/comm`], { encoding: 'utf8' }).trim();
    } catch {
      continue;
    }
    if (comm === 'sshd') process.kill(Number(pid), 'SIGKILL');
  }
}

/** Removes every container and app release from a sandbox host, so a test starts from a bare host. */
export async function cleanHost(sb: SandboxFixture, host: string): Promise<void> {
  const ids = (await sb.exec(host, ['docker', 'ps', '-aq'])).split('\n').filter(Boolean);
  if (ids.length > 0) await sb.exec(host, ['docker', 'rm', '-f', ...ids]);
  await sb.exec(host, ['rm', '-rf', '/srv/slipway']);
}
