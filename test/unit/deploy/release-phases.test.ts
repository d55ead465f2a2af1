import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderCaddyConfig } from '../../../src/caddy/render.ts';
import { sites as sitesSchema } from '../../../src/config/schema/sites.ts';
import { pinCompose } from '../../../src/deploy/compose-file.ts';
import type { HostDeployment } from '../../../src/deploy/host-deploy.ts';
import { openHostDocker } from '../../../src/deploy/host-docker.ts';
import { appPaths, releasePaths } from '../../../src/deploy/layout.ts';
import type { ReleaseRecord } from '../../../src/deploy/release.ts';
import { type Attempt, commit, switchTraffic, verify } from '../../../src/deploy/release-phases.ts';
import { appRoutes } from '../../../src/deploy/routes.ts';
import { UndoStack } from '../../../src/deploy/undo-stack.ts';
import { LocalTransport } from '../../../src/remote/local-transport.ts';
import { type LocalCaddy, startLocalCaddy } from '../../support/caddy.ts';

// The phases after `start` against real things on the runner: a local Caddy (admin API on a unix
// socket, as over the SSH forward), two HTTP servers as the old and the new release, and the files
// of an app directory in a temp dir, through the local transport.
const DIGEST = `sha256:${'1'.repeat(64)}`;
const host = { name: 'web1', groups: ['web'] };
const sites = sitesSchema.parse({
  tls: { issuer: 'internal' },
  sites: { 'web.test': { routes: [{ path: '/', proxy: { app: 'web' } }] } },
});

async function release(name: string, health: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/healthz' ? health : 200;
    res.end(req.url === '/healthz' && health !== 200 ? `no health here (${name})\n` : `${name}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return { server, port: addr.port };
}

describe('release phases: verify, switch and commit, and their undos', () => {
  let caddy: LocalCaddy;
  let old: Awaited<ReturnType<typeof release>>;
  let fresh: Awaited<ReturnType<typeof release>>;
  let broken: Awaited<ReturnType<typeof release>>;
  let root: string;
  const lines: string[] = [];
  const current = { release: '20261201-100000-aaaaaaa', project: 'web-old', digest: DIGEST } as ReleaseRecord;

  const throughCaddy = async () => {
    const res = await request(`http://127.0.0.1:${caddy.ports.http}/`, { headers: { host: 'web.test' } });
    return (await res.body.text()).trim();
  };

  const attempt = async (port: number, opts: { health?: boolean } = {}): Promise<Attempt> => {
    const transport = new LocalTransport('web1');
    const engine = await openHostDocker(transport);
    const signal = new AbortController().signal;
    const log = (line: string) => lines.push(line);
    const d: HostDeployment = {
      spec: {
        app: 'web',
        environment: 'dev',
        repository: 'registry.test/acme/web',
        digest: DIGEST,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: compose names the image as ${SLIPWAY_IMAGE}
        composeSource: 'services: { web: { image: "${SLIPWAY_IMAGE}" } }\n',
        composeFile: 'compose.yml',
        env: {},
        secrets: {},
        sha: 'b'.repeat(40),
        restores: '20261130-090000-bbbbbbb',
        stateful: {},
      },
      policy: {
        services: {},
        ...(opts.health ? { health: { path: '/healthz', expectStatus: 200, timeoutMs: 600 } } : {}),
        timeoutMs: 10_000,
        drainMs: 0,
        keep: 3,
      },
      host: {
        name: 'web1',
        transport,
        routes: appRoutes(sites, 'web', 'dev', host),
        configHash: 'sha256:cfg',
        caddySocket: caddy.socket,
        appsRoot: root,
      },
      run: { id: '7', triggeredBy: 'alice' },
      log,
      signal,
    };
    const releaseId = '20261203-120000-bbbbbbb';
    const rel = releasePaths('web', releaseId, root);
    await mkdir(rel.dir, { recursive: true });
    return {
      d,
      current,
      engine,
      probe: { transport, engine, log, signal },
      root,
      now: () => new Date('2026-12-03T12:00:00Z'),
      digestRef: `registry.test/acme/web@${DIGEST}`,
      pinned: pinCompose(d.spec.composeSource, `registry.test/acme/web@${DIGEST}`, 'compose.yml', {
        app: 'web',
        environment: 'dev',
        marks: {},
      }),
      facts: {
        runtime: { flavor: 'v2' },
        ports: { pairs: {}, ports: { web: port } },
        releaseIds: [],
        caddyUp: true,
      },
      release: releaseId,
      app: appPaths('web', root),
      rel,
      project: { flavor: 'v2', name: `web-${releaseId}`, files: [rel.compose], directory: rel.dir },
      primary: 'web',
      caddySocket: caddy.socket,
      vars: {},
      stateful: {
        project: { flavor: 'v2', name: 'web-dev-stateful', files: [`${root}/web/stateful/compose.yml`] },
        wanted: { app: 'web', services: {}, volumes: [], backedUp: new Set() },
        current: undefined,
        marks: {},
      },
      backups: [],
    };
  };

  beforeAll(async () => {
    caddy = await startLocalCaddy();
    [old, fresh, broken] = await Promise.all([
      release('old', 200),
      release('new', 200),
      release('broken', 404),
    ]);
  });
  afterAll(async () => {
    await caddy?.stop();
    for (const s of [old, fresh, broken]) s?.server.close();
  });
  beforeEach(async () => {
    lines.length = 0;
    root = await mkdtemp(join(tmpdir(), 'slipway-phases-'));
    const app = appPaths('web', root);
    await mkdir(releasePaths('web', current.release, root).dir, { recursive: true });
    await symlink(releasePaths('web', current.release, root).dir, app.current);
    await caddy.admin.load(
      renderCaddyConfig({
        sites,
        environment: 'dev',
        host,
        upstreams: new Map([['web', [`127.0.0.1:${old.port}`]]]),
        adminSocket: caddy.socket,
        ports: caddy.ports,
      }),
    );
    return () => rm(root, { recursive: true, force: true });
  });

  it('goes live: the health check passes, Caddy switches, the marker and the current link name the new release', async () => {
    const a = await attempt(fresh.port, { health: true });
    const undo = new UndoStack();
    expect(await throughCaddy()).toBe('old');
    await verify(a);
    await switchTraffic(a, undo);
    expect(await throughCaddy()).toBe('new');
    const record = await commit(a, undo);
    expect(record).toMatchObject({
      release: a.release,
      sha: 'b'.repeat(40),
      restores: '20261130-090000-bbbbbbb',
      runId: '7',
      ports: { web: fresh.port },
    });
    expect(JSON.parse(await readFile(a.rel.marker, 'utf8'))).toEqual(record);
    expect(await readlink(a.app.current)).toBe(a.rel.dir);
    // Switch registered its undo, commit two: the stateful marker and the current link.
    expect(undo.size).toBe(3);
    expect(JSON.parse(await readFile(`${a.app.stateful}/state.json`, 'utf8'))).toEqual({
      services: {},
      volumes: [],
    });
  });

  it('unwinding after the commit puts back both the current link and Caddy’s upstream', async () => {
    const a = await attempt(fresh.port);
    const undo = new UndoStack();
    await switchTraffic(a, undo);
    await commit(a, undo);
    expect(await undo.unwind(new Error('a later failure'), (l) => lines.push(l))).toBe(true);
    expect(await readlink(a.app.current)).toBe(releasePaths('web', current.release, root).dir);
    expect(await throughCaddy()).toBe('old');
  });

  it('a commit that fails before the link moves unwinds the switch: Caddy back to the old release', async () => {
    const a = await attempt(fresh.port);
    const undo = new UndoStack();
    await switchTraffic(a, undo);
    expect(await throughCaddy()).toBe('new');
    // The release directory is gone, so the marker cannot be written: the commit fails.
    await rm(a.rel.dir, { recursive: true });
    const failure = await commit(a, undo).catch((err: Error) => err);
    expect(failure).toBeInstanceOf(Error);
    expect(await undo.unwind(failure, (l) => lines.push(l))).toBe(true);
    expect(await throughCaddy()).toBe('old');
    expect(await readlink(a.app.current)).toBe(releasePaths('web', current.release, root).dir);
    expect(undo.size).toBe(0);
  });

  it('a failing health check shows the probe’s answer and registers nothing to undo', async () => {
    const a = await attempt(broken.port, { health: true });
    await expect(verify(a)).rejects.toThrow(
      `health check http://127.0.0.1:${broken.port}/healthz answered 404, expected 200`,
    );
    expect(lines).toContain(`--- answer of GET http://127.0.0.1:${broken.port}/healthz ---`);
    expect(lines).toContain('[health] HTTP/1.1 404 Not Found');
    expect(lines).toContain('[health] no health here (broken)');
    expect(await throughCaddy()).toBe('old');
  });

  it('leaves routes alone, saying so, when the host has no Caddy admin socket', async () => {
    const a = await attempt(fresh.port);
    a.facts.caddyUp = false;
    const undo = new UndoStack();
    await switchTraffic(a, undo);
    expect(undo.size).toBe(0);
    expect(lines).toContain(`no Caddy admin socket at ${caddy.socket}: routes left as they are`);
    expect(await throughCaddy()).toBe('old');
    expect((await lstat(a.app.current)).isSymbolicLink()).toBe(true);
  });
});
