import * as compose from '../remote/commands/compose.ts';
import * as files from '../remote/commands/files.ts';
import { execOk, type Transport } from '../remote/transport.ts';
import * as cmd from './commands.ts';
import { checkEngine, type HostDocker } from './host-docker.ts';
import { appPaths } from './layout.ts';
import { allocatePorts, type PortAllocation, type PortPairs, parseListeningPorts } from './ports.ts';
import type { ReleaseRecord } from './release.ts';
import { isReleaseId } from './release-id.ts';

/** The compose flavour a host runs, as `compose` builders take it. */
export type ComposeRuntime = Pick<compose.ComposeProject, 'flavor' | 'stdlibDistutils'>;

/** What a release attempt learns from the host before it writes anything. */
export interface HostFacts {
  runtime: ComposeRuntime;
  ports: PortAllocation;
  /** Release directories already on the host (a new id must not reuse one). */
  releaseIds: string[];
  /** Caddy's admin socket exists (undefined: the app has no routes, so it was not asked). */
  caddyUp?: boolean;
}

// `docker compose` (v2) answers fast; v1 is a Python program that takes most of a second to start,
// so it is not probed: a host without either fails at `up` with compose's own message. The python3
// probe (tens of milliseconds, run alongside) saves v1 a quarter of a second per run.
async function detectCompose(t: Transport): Promise<ComposeRuntime> {
  const [v2, stdlib] = await Promise.all([t.exec(compose.detect('v2')), t.exec(compose.stdlibDistutils())]);
  return v2.exitCode === 0 ? { flavor: 'v2' } : { flavor: 'v1', stdlibDistutils: stdlib.exitCode === 0 };
}

function readPairs(text: string): PortPairs {
  try {
    return JSON.parse(text) as PortPairs;
  } catch {
    return {};
  }
}

/**
 * Reads everything a release attempt decides from, at once on the one multiplexed connection (one
 * round trip, not six), and checks the Docker Engine answers: this app's stable port pairs, every
 * listener, every other app's pairs, the release directories, Caddy's socket.
 */
export async function readHost(
  t: Transport,
  engine: HostDocker,
  q: {
    app: string;
    root: string;
    portServices: readonly string[];
    current: ReleaseRecord | undefined;
    caddySocket?: string;
  },
): Promise<HostFacts> {
  const app = appPaths(q.app, q.root);
  const [runtime, own, all, sockets, releaseDirs, caddy] = await Promise.all([
    detectCompose(t),
    t.exec(files.cat(app.ports)),
    t.exec(cmd.catPortsFiles(q.root)),
    execOk(t, cmd.listeningSockets()),
    t.exec(cmd.listDir(app.releases)),
    q.caddySocket === undefined ? undefined : t.exec(cmd.isSocket(q.caddySocket)),
    checkEngine(engine),
  ]);
  const reserved = new Set<number>();
  for (const line of all.stdout.split('\n').filter(Boolean)) {
    for (const pair of Object.values(readPairs(line))) for (const p of pair) reserved.add(p);
  }
  const ports = allocatePorts({
    services: q.portServices,
    existing: own.exitCode === 0 ? readPairs(own.stdout) : {},
    ...(q.current ? { live: q.current.ports } : {}),
    listening: parseListeningPorts(sockets.stdout),
    reserved,
  });
  return {
    runtime,
    ports,
    releaseIds: releaseDirs.stdout.split('\n').filter(isReleaseId),
    ...(caddy ? { caddyUp: caddy.exitCode === 0 } : {}),
  };
}
