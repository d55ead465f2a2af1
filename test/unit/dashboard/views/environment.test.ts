import { describe, expect, it } from 'vitest';
import { environmentPage, environmentsPage } from '../../../../src/dashboard/views/environment.ts';
import type { EnvironmentView } from '../../../../src/dashboard/views/model.ts';

const viewer = { login: 'alice', csrf: 'tok' };
const view: EnvironmentView = {
  name: 'prod',
  apps: [
    {
      app: 'web',
      host: 'web1',
      release: '20260101-120000-abcdef1',
      digest: `sha256:${'c'.repeat(64)}`,
      health: 'healthy',
      since: Date.UTC(2026, 0, 1, 12),
      services: [{ service: 'web', state: 'healthy', since: Date.UTC(2026, 0, 1, 12, 0, 5) }],
    },
    { app: 'web', host: 'web2', health: 'unreachable', services: [], error: 'web2: <no route>' },
  ],
  releasedApps: ['web'],
  drift: [
    {
      pipeline: 'infra',
      status: 'drift',
      changes: 1,
      at: Date.UTC(2026, 0, 2),
      sha: 'e'.repeat(40),
      branch: 'main',
      lines: ['caddy-prod: remove web1: route /old'],
    },
  ],
  pipelines: ['web', 'infra'],
  canStart: true,
};
const all = { run: true, redeploy: true, rollback: true };

describe('environment page', () => {
  it('shows what runs where, the drift, and the start forms, data escaped', () => {
    const out = environmentPage(viewer, view, all).text;
    expect(out).toContain('<h1>Environment prod <span class="badge drift-drift"');
    expect(out).toContain(
      '<tr data-app="web" data-host="web1"><td>web</td><td>web1</td><td>20260101-120000-abcdef1</td>',
    );
    expect(out).toContain(`<code title="sha256:${'c'.repeat(64)}">cccccccccccc</code>`);
    expect(out).toContain('<span class="badge health-healthy">healthy</span>');
    expect(out).toContain('2026-01-01 12:00:00');
    expect(out).toContain('web2: &lt;no route&gt;');
    expect(out).toContain('<li>caddy-prod: remove web1: route /old</li>');
    expect(out).toContain('<form method="post" action="/environments/prod/run" class="start-run">');
    expect(out).toContain('<option value="infra">infra</option>');
    expect(out).toContain('action="/environments/prod/apps/web/redeploy"');
    expect(out).toContain('action="/environments/prod/apps/web/rollback"');
    expect(out.match(/name="_csrf" value="tok"/g)?.length).toBeGreaterThanOrEqual(4);
  });

  it('offers no start to a viewer the policy refuses, saying why; only what the server can start', () => {
    const refused = environmentPage(
      viewer,
      { ...view, canStart: false, refusal: 'alice may not start runs in prod' },
      all,
    ).text;
    expect(refused).not.toContain('<form method="post" action="/environments');
    expect(refused).toContain('<p class="no-start">alice may not start runs in prod</p>');
    const noRun = environmentPage(viewer, view, { run: false, redeploy: true, rollback: false }).text;
    expect(noRun).not.toContain('/run"');
    expect(noRun).not.toContain('/rollback"');
    expect(noRun).toContain('/redeploy"');
  });

  it('says so when nothing was checked for drift, and lists environments with badges', () => {
    expect(environmentPage(viewer, { ...view, drift: [] }, all).text).toContain('No drift check recorded');
    const list = environmentsPage(viewer, [{ name: 'dev' }, { name: 'prod', drift: view.drift[0] }]).text;
    expect(list).toContain(
      '<li data-env="dev"><a href="/environments/dev">dev</a> <span class="badge drift-none">no drift check</span></li>',
    );
    expect(list).toContain(
      '<span class="badge drift-drift" title="infra at 2026-01-02 00:00:00">drift: 1</span>',
    );
  });
});
