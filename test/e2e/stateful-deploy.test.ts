// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files name variables as ${VAR}
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sites as sitesSchema } from '../../src/config/schema/sites.ts';
import type { Inventory } from '../../src/config/types.ts';
import { runLedger } from '../../src/engine/run-ledger.ts';
import { buildHandler } from '../../src/steps/build.ts';
import { deployHandler } from '../../src/steps/deploy.ts';
import { buildKind } from '../../src/steps/kinds/build.ts';
import { deployKind } from '../../src/steps/kinds/deploy.ts';
import { pushKind } from '../../src/steps/kinds/push.ts';
import { pushHandler } from '../../src/steps/push.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { cleanHost, sandboxInventory, startHostCaddy, stopHostCaddy } from '../support/app-deploy.ts';
import { type SandboxFixture, useSandbox } from '../support/sandbox.ts';
import { stepContext } from '../support/step-context.ts';

// The notes app (apps/notes: busybox httpd + psql) with its PostgreSQL from Debian's packages, on a
// sandbox host: rows survive releases and rollbacks, the release command migrates once per release,
// a failing one leaves the old release serving, backups are taken before risky changes and restore rows.
const repoRoot = resolve(import.meta.dirname, '../..');
const docker = new Docker();
const HOST = 'dev1';
const DB_PASSWORD = `pw-${randomBytes(9).toString('hex')}`;
const sites = sitesSchema.parse({
  tls: { issuer: 'internal' },
  sites: {
    'notes.test': { routes: [{ path: '/', proxy: { app: 'notes', service: 'web' } }] },
    'counter.test': { routes: [{ path: '/', proxy: { app: 'counter', service: 'web' } }] },
  },
});
const VERSIONS = ['v1', 'v2', 'broken'] as const;
type Version = (typeof VERSIONS)[number];
const shas: Record<Version, string> = { v1: 'a1'.repeat(20), v2: 'b2'.repeat(20), broken: 'c3'.repeat(20) };
const BACKUP = ['pg_dump', '-U', 'notes', '--clean', '--if-exists', 'notes'];
const RESTORE = ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-U', 'notes', 'notes'];

describe('stateful services on a sandbox host, with a real PostgreSQL', () => {
  let sb: SandboxFixture;
  let stateDir: string;
  let store: Store;
  let image: string;
  let postgres: string;
  let dev: Inventory;
  const workdirs: Partial<Record<Version, string>> = {};
  const digests: Partial<Record<Version, string>> = {};

  const pipeline = () => ({
    name: 'notes',
    image,
    registry: { username: sb.registry.username, password_secret: 'REGISTRY_PASSWORD' },
    secrets: { REGISTRY_PASSWORD: { env: 'REGISTRY_PASSWORD' }, DB_PASSWORD: { env: 'DB_PASSWORD' } },
    jobs: { deploy: { steps: [{ deploy: { compose: 'apps/notes/compose.yml' } }] } },
  });
  const ctxFor = (version: Version, more: Partial<Parameters<typeof stepContext>[0]> = {}) =>
    stepContext({
      workdir: workdirs[version]!,
      sha: shas[version],
      secrets: { REGISTRY_PASSWORD: sb.registry.password, DB_PASSWORD },
      pipeline: pipeline(),
      inventory: dev,
      outputs: { 'image.digest': digests[version]! },
      releases: runLedger(store, 1),
      repo: { sitesFiles: new Map([['infra/sites.yml', sites]]) },
      job: 'deploy-dev',
      ...more,
    });
  const notesStep = (over: Record<string, unknown> = {}) =>
    deployKind.schema.parse({
      deploy: {
        app: 'notes',
        compose: 'apps/notes/compose.yml',
        hosts: 'web',
        services: { web: 'healthy', db: 'healthy' },
        health: { path: '/cgi-bin/healthz', timeout: '60s' },
        env: { POSTGRES_IMAGE: postgres },
        secrets: { DB_PASSWORD: 'DB_PASSWORD' },
        stateful: { db: { backup: BACKUP, restore: RESTORE, keep: 3 } },
        release_command: ['/app/migrate'],
        drain: '0s',
        timeout: '120s',
        ...over,
      },
    });
  const curl = (method: 'GET' | 'POST', path: string, body?: string, domain = 'notes.test') =>
    sb.exec(HOST, [
      'curl',
      '-s',
      '--max-time',
      '15',
      '-X',
      method,
      ...(body === undefined ? [] : ['--data-binary', body]),
      '-H',
      `Host: ${domain}`,
      `http://127.0.0.1${path}`,
    ]);
  const notes = async () => (await curl('GET', '/cgi-bin/notes')).trim().split('\n').filter(Boolean);
  const dbContainer = async () =>
    (
      await sb.exec(HOST, [
        'docker',
        'ps',
        '-q',
        '--no-trunc',
        '--filter',
        'label=com.docker.compose.project=notes-dev-stateful',
        '--filter',
        'label=com.docker.compose.service=db',
      ])
    )
      .trim()
      .split('\n')
      .filter(Boolean);
  const sql = async (query: string) => {
    const [db] = await dbContainer();
    return (
      await sb.exec(HOST, ['docker', 'exec', db!, 'psql', '-X', '-tA', '-U', 'notes', 'notes', '-c', query])
    ).trim();
  };
  const volumes = async () =>
    (await sb.exec(HOST, ['docker', 'volume', 'ls', '-q'])).trim().split('\n').filter(Boolean).sort();

  beforeAll(async () => {
    sb = await useSandbox({ name: 'statefule2e', hosts: [HOST], postgres: true });
    await cleanHost(sb, HOST);
    await sb.exec(HOST, [
      'sh',
      '-c',
      'docker volume prune -f >/dev/null; docker network prune -f >/dev/null',
    ]);
    stateDir = await mkdtemp(join(tmpdir(), 'slipway-stateful-'));
    process.env.SLIPWAY_STATE = join(stateDir, 'state.db');
    store = openStore(repoRoot);
    image = `${sb.registry.address}/acme/notes`;
    postgres = sb.registry.postgresImage!;
    dev = sandboxInventory(sb, 'dev', [HOST]);
    for (const v of VERSIONS) {
      const dir = await mkdtemp(join(stateDir, `${v}-`));
      await cp(join(repoRoot, 'apps/notes'), join(dir, 'apps/notes'), { recursive: true });
      // v1 ships before the migration that adds the tag column; "broken" ships one that fails halfway.
      if (v === 'v1') await rm(join(dir, 'apps/notes/migrations/002_note_tags.sql'));
      if (v === 'broken')
        await writeFile(
          join(dir, 'apps/notes/migrations/003_broken.sql'),
          'ALTER TABLE notes ADD COLUMN priority int;\nSELECT no_such_function();\n',
        );
      workdirs[v] = dir;
      const { ctx, outputs } = stepContext({
        workdir: dir,
        sha: shas[v],
        secrets: { REGISTRY_PASSWORD: sb.registry.password },
        pipeline: pipeline(),
      });
      await buildHandler.apply(
        ctx,
        buildKind.schema.parse({
          build: { context: 'apps/notes', args: { BASE_IMAGE: postgres, VERSION: v } },
        }),
      );
      await pushHandler.apply(ctx, pushKind.schema.parse({ push: {} }));
      digests[v] = outputs['image.digest']!;
    }
    await startHostCaddy(sb, HOST, sites, 'dev');
  });

  afterAll(async () => {
    if (sb) {
      await stopHostCaddy(sb, HOST);
      await cleanHost(sb, HOST).catch(() => undefined);
    }
    for (const ref of [...Object.values(shas).map((sha) => `${image}:${sha}`), `${postgres}.1`])
      await docker
        .getImage(ref)
        .remove({ force: true })
        .catch(() => {});
    store?.close();
    delete process.env.SLIPWAY_STATE;
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('plans the database on a line of its own and the release command, then starts both and migrates', async () => {
    const { ctx, lines } = ctxFor('v1');
    const plan = await deployHandler.plan(ctx, notesStep());
    expect(plan).toEqual([
      expect.objectContaining({
        host: HOST,
        action: 'add',
        subject: expect.stringMatching(/^app notes release/),
      }),
      {
        host: HOST,
        action: 'add',
        subject: 'app notes stateful service db',
        detail: 'db: start (runs once on this host)',
      },
      expect.objectContaining({ action: 'run', subject: 'app notes release command: /app/migrate' }),
    ]);
    expect(await deployHandler.apply(ctx, notesStep())).toEqual({
      changed: true,
      hosts: { [HOST]: 'changed' },
    });
    expect(lines.map((l) => l.line)).toContain('[release command] applied 001_notes');
    expect(await curl('POST', '/cgi-bin/notes', 'first')).toContain('1');
    expect(await notes()).toEqual([expect.stringMatching(/^1\|first\|/)]);
    expect(await volumes()).toEqual(['slipway_notes_dev_pgdata']);
  });

  it('keeps every row over three deploys and a rollback, the database never restarted nor doubled', async () => {
    const [db] = await dbContainer();
    const v2 = ctxFor('v2');
    expect((await deployHandler.plan(v2.ctx, notesStep())).map((c) => c.subject)).toEqual([
      expect.stringMatching(/^app notes release/),
      'app notes release command: /app/migrate',
    ]);
    await deployHandler.apply(v2.ctx, notesStep());
    expect(v2.lines.map((l) => l.line)).toContain('[release command] applied 002_note_tags');
    await curl('POST', '/cgi-bin/notes', 'second');
    // A third release: the same image, its configuration changed.
    const v2b = ctxFor('v2');
    await deployHandler.apply(v2b.ctx, notesStep({ env: { POSTGRES_IMAGE: postgres, GREETING: 'hi' } }));
    await curl('POST', '/cgi-bin/notes', 'third');
    expect(await notes()).toHaveLength(3);

    const v1 = store.releases.list('dev', { app: 'notes' }).find((r) => r.digest === digests.v1)!;
    const back = ctxFor('v1', { rollback: { ledgerId: v1.id, releaseId: v1.releaseId, digest: v1.digest } });
    await deployHandler.apply(back.ctx, notesStep());
    expect(back.lines.map((l) => l.line).join('\n')).not.toContain('[release command]');
    expect((await curl('GET', '/version.txt')).trim()).toBe('notes v1');
    expect((await notes()).map((n) => n.split('|')[1])).toEqual(['first', 'second', 'third']);
    expect(await dbContainer()).toEqual([db]);
    expect(await volumes()).toEqual(['slipway_notes_dev_pgdata']);
  });

  it('migrates exactly once per release: the column once, no run where nothing changes', async () => {
    expect(
      await sql(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'tag'",
      ),
    ).toBe('1');
    expect(await sql('SELECT version FROM schema_migrations ORDER BY version')).toBe(
      '001_notes\n002_note_tags',
    );
    // v1, v2 and v2 again with new configuration each ran it once; the rollback did not.
    expect(await sql('SELECT count(*) FROM migrate_runs')).toBe('3');
    const again = ctxFor('v1', {
      rollback: store.releases
        .list('dev', { app: 'notes' })
        .filter((r) => r.restores)
        .map((r) => ({ ledgerId: r.id, releaseId: r.releaseId, digest: r.digest }))[0]!,
    });
    expect(await deployHandler.plan(again.ctx, notesStep())).toEqual([]);
  });

  it('backs up before each release command: 0600 files in a 0700 directory, recorded, kept 3 deep', async () => {
    const backups = store.backups.list('dev', 'notes');
    expect(backups.map((b) => b.reason)).toContain('before the release command');
    const kept = backups.filter((b) => b.removedAt === undefined);
    expect(kept).toHaveLength(3);
    const dir = '/srv/slipway/apps/notes/backups/db';
    expect((await sb.exec(HOST, ['stat', '-c', '%a', dir])).trim()).toBe('700');
    const files = (await sb.exec(HOST, ['ls', '-1', dir])).trim().split('\n');
    expect(files.sort()).toEqual(kept.map((b) => `${b.backupId}.backup`).sort());
    for (const b of kept) {
      expect((await sb.exec(HOST, ['stat', '-c', '%a', b.path])).trim()).toBe('600');
      expect(b.bytes).toBeGreaterThan(0);
    }
    expect(await sb.exec(HOST, ['cat', kept[0]!.path])).toContain('CREATE TABLE public.notes');
  });
  it('stops the rollout when the release command fails: the old release serves, the schema is unchanged', async () => {
    const { ctx, statuses } = ctxFor('broken');
    const release = JSON.parse(await sb.exec(HOST, ['cat', '/srv/slipway/apps/notes/current/release.json']));
    await expect(deployHandler.apply(ctx, notesStep())).rejects.toThrow(
      /deploy stopped: dev1: release command \/app\/migrate exited with code 3/,
    );
    expect(statuses.at(-1)).toMatchObject({ host: HOST, status: 'rolled-back' });
    expect((await curl('GET', '/version.txt')).trim()).toBe('notes v1');
    expect(
      JSON.parse(await sb.exec(HOST, ['cat', '/srv/slipway/apps/notes/current/release.json'])).release,
    ).toBe(release.release);
    expect(
      await sql(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'priority'",
      ),
    ).toBe('0');
    expect(await sql("SELECT count(*) FROM schema_migrations WHERE version = '003_broken'")).toBe('0');
    expect(await notes()).toHaveLength(3);
  });

  it('shows a new database image on a line of its own, backs the database up first and keeps its rows', async () => {
    // Another tag of the same image stands for a new PostgreSQL version: a new definition of db.
    const next = `${sb.registry.address}/sandbox/postgres:15.1`;
    await docker.getImage(postgres).tag({ repo: `${sb.registry.address}/sandbox/postgres`, tag: '15.1' });
    const push = await docker.getImage(next).push({
      authconfig: {
        username: sb.registry.username,
        password: sb.registry.password,
        serveraddress: sb.registry.address,
      },
    });
    await new Promise((ok, ko) =>
      docker.modem.followProgress(push, (err) => (err ? ko(err) : ok(undefined))),
    );
    const [db] = await dbContainer();
    const { ctx, lines } = ctxFor('v2');
    const step = notesStep({ env: { POSTGRES_IMAGE: next } });
    const plan = await deployHandler.plan(ctx, step);
    expect(plan).toContainEqual({
      host: HOST,
      action: 'change',
      subject: 'app notes stateful service db',
      detail: 'db: image 15 -> 15.1, restart (down while it restarts); backup first',
    });
    await deployHandler.apply(ctx, step);
    expect(lines.map((l) => l.line)).toContainEqual(
      expect.stringMatching(/^backup \S+-db of db \(before db changes \(image 15 -> 15\.1\)\): \d+ bytes/),
    );
    expect(await dbContainer()).not.toEqual([db]);
    expect((await notes()).map((n) => n.split('|')[1])).toEqual(['first', 'second', 'third']);
  });

  it('leaves the database and the release as they are when the backup command fails', async () => {
    const [db] = await dbContainer();
    const live = await sb.exec(HOST, ['readlink', '/srv/slipway/apps/notes/current']);
    const { ctx } = ctxFor('v2');
    const failing = { db: { backup: ['sh', '-c', 'echo disk full >&2; exit 4'], restore: RESTORE, keep: 3 } };
    await expect(deployHandler.apply(ctx, notesStep({ stateful: failing }))).rejects.toThrow(
      /dev1: backup of db failed: sh exited with code 4, so db changes \(image 15\.1 -> 15\) does not go ahead/,
    );
    expect(await dbContainer()).toEqual([db]);
    expect(await sb.exec(HOST, ['readlink', '/srv/slipway/apps/notes/current'])).toBe(live);
    expect((await notes()).length).toBe(3);
  });

  it('refuses a stateful service on a routed port before touching the host', async () => {
    const [db] = await dbContainer();
    const routed = join(workdirs.v2!, 'apps/notes/routed.yml');
    const source = await readFile(join(workdirs.v2!, 'apps/notes/compose.yml'), 'utf8');
    await writeFile(
      routed,
      source.replace(
        '    image: ${POSTGRES_IMAGE}',
        '    image: ${POSTGRES_IMAGE}\n    ports: ["127.0.0.1:${SLIPWAY_PORT_DB}:5432"]',
      ),
    );
    const { ctx } = ctxFor('v2');
    const step = notesStep({ compose: 'apps/notes/routed.yml' });
    await expect(deployHandler.plan(ctx, step)).rejects.toThrow(
      /service db is stateful .* publishes \$\{SLIPWAY_PORT_DB\}, a routed port that alternates between releases/,
    );
    await expect(deployHandler.apply(ctx, step)).rejects.toThrow(/a routed port that alternates/);
    expect(await dbContainer()).toEqual([db]);
  });

  it('restores a backup: the rows come back, and what was there is backed up first', async () => {
    const [newest] = store.backups.list('dev', 'notes');
    await sql('DELETE FROM notes');
    expect(await notes()).toEqual([]);
    const { ctx } = ctxFor('v2', { restoreBackup: newest!.id });
    expect(await deployHandler.plan(ctx, notesStep())).toEqual([
      {
        host: HOST,
        action: 'change',
        subject: 'app notes stateful service db',
        detail: expect.stringMatching(
          new RegExp(
            `^db: restore backup ${newest!.backupId} \\(.*\\), replacing its data; its data as it is now is backed up first$`,
          ),
        ),
      },
    ]);
    expect(await deployHandler.apply(ctx, notesStep())).toEqual({
      changed: true,
      hosts: { [HOST]: 'changed' },
    });
    expect((await notes()).map((n) => n.split('|')[1])).toEqual(['first', 'second', 'third']);
    expect(store.backups.list('dev', 'notes')[0]).toMatchObject({
      reason: `before restoring ${newest!.backupId}`,
    });
  });

  it('keeps a named volume of the app image across releases with no setting; a dropped volume and service are reported, the volumes kept', async () => {
    const dir = join(workdirs.v2!, 'apps/notes');
    const counter = (volume: boolean) =>
      [
        'services:',
        '  web:',
        '    image: ${SLIPWAY_IMAGE}',
        '    ports: ["127.0.0.1:${SLIPWAY_PORT_WEB}:8080"]',
        '    healthcheck: { disable: true }',
        '    entrypoint: [sh, -c, "n=$$(cat /c/n 2>/dev/null || echo 0); echo $$((n + 1)) > /c/n; cp /c/n /app/www/count.txt; exec busybox httpd -f -p 8080 -h /app/www"]',
        ...(volume
          ? [
              '    volumes: ["counterdata:/c"]',
              // A stateful service by default (a named volume, an image of its own), dropped with the volume.
              '  cache:',
              '    image: ${CACHE_IMAGE}',
              '    entrypoint: [sleep, infinity]',
              '    healthcheck: { disable: true }',
              '    volumes: ["cachedata:/d"]',
              'volumes:',
              '  counterdata:',
              '  cachedata:',
            ]
          : []),
        '',
      ].join('\n');
    await writeFile(join(dir, 'counter.yml'), counter(true));
    await writeFile(join(dir, 'no-counter.yml'), counter(false));
    const step = (n: number, compose = 'apps/notes/counter.yml') =>
      deployKind.schema.parse({
        deploy: {
          app: 'counter',
          compose,
          hosts: 'web',
          env: { N: String(n), CACHE_IMAGE: postgres },
          drain: '0s',
          timeout: '60s',
        },
      });
    for (const n of [1, 2, 3]) await deployHandler.apply(ctxFor('v2').ctx, step(n));
    expect((await curl('GET', '/count.txt', undefined, 'counter.test')).trim()).toBe('3');
    const all = [
      'slipway_counter_dev_cachedata',
      'slipway_counter_dev_counterdata',
      'slipway_notes_dev_pgdata',
    ];
    expect(await volumes()).toEqual(all);
    const { ctx } = ctxFor('v2');
    expect(await deployHandler.plan(ctx, step(4, 'apps/notes/no-counter.yml'))).toContainEqual({
      host: HOST,
      action: 'remove',
      subject: 'app counter stateful service cache',
      detail:
        'cache: no longer in the compose file: stopped after the release goes live; its volumes are kept',
    });
    expect(await deployHandler.plan(ctx, step(4, 'apps/notes/no-counter.yml'))).toContainEqual({
      host: HOST,
      action: 'change',
      subject: 'app counter volume slipway_counter_dev_counterdata',
      detail:
        'volume slipway_counter_dev_counterdata: no longer in the compose file: kept with its data, never deleted by Slipway (`docker volume rm slipway_counter_dev_counterdata` deletes it)',
    });
    await deployHandler.apply(ctx, step(4, 'apps/notes/no-counter.yml'));
    expect(await volumes()).toEqual(all);
    const cache = await sb.exec(HOST, [
      'docker',
      'ps',
      '-aq',
      '--filter',
      'label=com.docker.compose.service=cache',
    ]);
    expect(cache.trim()).toBe('');
  });
});
