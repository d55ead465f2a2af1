import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sitesOf } from '../../../src/config/environment-sites.ts';
import { formatConfigError, loadAppRepo } from '../../../src/config/load-repo.ts';
import { CONFIG_FIXTURES } from '../../support/config-fixture.ts';

describe('loadAppRepo', () => {
  let ops: string;
  let app: string;

  beforeEach(() => {
    ops = mkdtempSync(join(tmpdir(), 'slipway-ops-'));
    app = mkdtempSync(join(tmpdir(), 'slipway-app-'));
    cpSync(join(CONFIG_FIXTURES, '_base'), ops, { recursive: true });
    writeFileSync(
      join(ops, 'slipway.yml'),
      'environments: { dev: {}, prod: {} }\napps:\n  notes: { repository: acme/notes, url: /srv/git/notes.git, environments: [dev], run_steps: true }\n',
    );
    // The ops repository routes a domain to the app besides its own web app.
    const sites = join(ops, 'infra/sites.yml');
    writeFileSync(
      sites,
      `${readFileSync(sites, 'utf8')}  notes.example.test:\n    hosts: web\n    routes:\n      - proxy: { app: notes }\n`,
    );
    mkdirSync(join(app, '.slipway'));
    writeFileSync(
      join(app, '.slipway/pipeline.yml'),
      'name: notes\njobs:\n  deploy:\n    environment: dev\n    steps: [ { run: { command: ["true"] } } ]\n',
    );
  });

  afterEach(() => {
    rmSync(ops, { recursive: true, force: true });
    rmSync(app, { recursive: true, force: true });
  });

  it("carries the ops repository's infra/sites.yml: the app's deploys switch the upstreams of its routes", async () => {
    const result = await loadAppRepo({ name: 'notes', root: app }, ops);
    expect(result.ok ? [] : result.errors.map(formatConfigError)).toEqual([]);
    if (!result.ok) return;
    const sites = sitesOf(result.repo, 'dev');
    expect(sites?.sites['notes.example.test']?.routes).toEqual([
      expect.objectContaining({ proxy: expect.objectContaining({ app: 'notes' }) }),
    ]);
    // Its route to web, an app no pipeline of this load deploys, is the ops repository's loads' to check.
    expect(Object.keys(sites?.sites ?? {})).toEqual(['web.example.test', 'notes.example.test']);
  });

  it("refuses a broken infra/sites.yml of the ops repository at its file:line, as the ops repository's load does", async () => {
    writeFileSync(join(ops, 'infra/sites.yml'), 'sites:\n  notes.example.test:\n    hosts: 3\n');
    const result = await loadAppRepo({ name: 'notes', root: app }, ops);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map(formatConfigError).join('\n')).toContain('infra/sites.yml:3:');
  });

  it('refuses a pipeline file that is a symlink leading out of the app repository, reading nothing there', async () => {
    const outside = join(ops, 'slipway.yml');
    rmSync(join(app, '.slipway/pipeline.yml'));
    symlinkSync(outside, join(app, '.slipway/pipeline.yml'));
    const result = await loadAppRepo({ name: 'notes', root: app }, ops);
    expect(result.ok ? [] : result.errors.map(formatConfigError)).toEqual([
      '.slipway/pipeline.yml:1:1: expected a file of the app repository, got a symlink leading out of it; ' +
        'commit .slipway/pipeline.yml itself, not a link to it',
    ]);
  });

  it('refuses on.poll and on.schedule in an app pipeline: serve takes app pushes by webhook only', async () => {
    writeFileSync(
      join(app, '.slipway/pipeline.yml'),
      'name: notes\non: { poll: { interval: 1m } }\njobs:\n  deploy:\n    environment: dev\n' +
        '    steps: [ { run: { command: ["true"] } } ]\n',
    );
    const result = await loadAppRepo({ name: 'notes', root: app }, ops);
    expect(result.ok ? [] : result.errors.map((e) => formatConfigError(e).split(';')[0])).toEqual([
      '.slipway/pipeline.yml:2:13: on.poll: expected push or manual triggers in an app pipeline, got on.poll',
    ]);
  });
});
