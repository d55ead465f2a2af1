import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/store/migrations.ts';
import { openStore, Store } from '../../../src/store/store.ts';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-store-'));
  path = join(dir, 'state.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const newRun = (pipeline = 'web') => ({
  pipeline,
  pipelineFile: `pipelines/${pipeline}.yml`,
  repoRoot: dir,
  sha: 'f'.repeat(40),
  branch: 'main',
  triggeredBy: 'alice',
  channel: 'cli' as const,
  jobs: [{ name: 'build', needs: [], steps: [{ kind: 'run', name: 'make' }] }],
});

describe('store', () => {
  it('keeps its default directory out of Git with its own .gitignore, and leaves an edited one alone', () => {
    openStore(dir, {}).close();
    expect(readFileSync(join(dir, '.slipway', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    execFileSync('git', ['init', '-q'], { cwd: dir });
    expect(
      execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir }).toString(),
    ).toBe('');
    const elsewhere = join(dir, 'elsewhere', 'state.db');
    openStore(dir, { SLIPWAY_STATE: elsewhere }).close();
    expect(existsSync(join(dir, 'elsewhere', '.gitignore'))).toBe(false);
  });

  it('records a host status once per change: a repeated report adds no event', () => {
    const store = new Store(path);
    const id = store.runs.create(newRun());
    // As the deploy step reports a host and then the engine does, without the step's detail.
    store.runs.setHostStatus(id, 'build', 0, 'web1', 'changed', 'release r1');
    store.runs.setHostStatus(id, 'build', 0, 'web1', 'changed');
    store.runs.setHostStatus(id, 'build', 0, 'web1', 'failed', 'exit 1');
    const hostEvents = store.events.after(id).filter((e) => e.kind === 'host');
    expect(hostEvents.map((e) => `${e.host} ${e.status}`)).toEqual(['web1 changed', 'web1 failed']);
    store.runs.setHostStatus(id, 'build', 0, 'web2', 'changed', 'release r2');
    store.runs.setHostStatus(id, 'build', 0, 'web2', 'changed');
    expect(store.runs.hosts(id).find((h) => h.host === 'web2')!.detail).toBe('release r2');
    store.close();
  });

  it('migrates once, in WAL mode, and a second opener finds the schema current', () => {
    const a = new Store(path);
    const b = new Store(path);
    const raw = new DatabaseSync(path);
    expect(raw.prepare('PRAGMA user_version').get()).toEqual({ user_version: MIGRATIONS.length });
    expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    raw.close();
    a.close();
    b.close();
  });

  it('lets two connections (CLI and server) write the same store', () => {
    const cli = new Store(path);
    const server = new Store(path);
    const id = cli.runs.create(newRun());
    server.runs.setStatus(id, 'running');
    cli.runs.setStepStatus(id, 'build', 0, 'running');
    expect(server.detail(id)!.steps[0]!.status).toBe('running');
    expect(cli.runs.get(id)!.status).toBe('running');
    cli.close();
    server.close();
  });

  it('lists runs newest first, filtered and paged', () => {
    const store = new Store(path);
    const ids = [
      store.runs.create(newRun('a')),
      store.runs.create(newRun('b')),
      store.runs.create(newRun('a')),
    ];
    expect(store.runs.list().map((r) => r.id)).toEqual([...ids].reverse());
    expect(store.runs.list({ pipeline: 'a' }).map((r) => r.id)).toEqual([ids[2], ids[0]]);
    expect(store.runs.list({ limit: 1, beforeId: ids[2] }).map((r) => r.id)).toEqual([ids[1]]);
    store.runs.setStatus(ids[1]!, 'succeeded');
    expect(store.runs.list({ status: ['succeeded'] }).map((r) => r.id)).toEqual([ids[1]]);
    store.close();
  });

  it('reads events after a cursor, so a follower sees each event once', () => {
    const store = new Store(path);
    const id = store.runs.create(newRun());
    const first = store.events.after(id);
    expect(first.map((e) => [e.kind, e.status])).toEqual([['run', 'queued']]);
    store.events.append([{ runId: id, kind: 'log', job: 'build', step: 0, stream: 'stdout', text: 'hello' }]);
    const next = store.events.after(id, first.at(-1)!.id);
    expect(next.map((e) => e.text)).toEqual(['hello']);
    expect(store.events.after(id, next.at(-1)!.id)).toEqual([]);
    store.close();
  });

  it('keeps the audit trail append-only', () => {
    const store = new Store(path);
    store.gates.audit({
      actor: 'alice',
      channel: 'cli',
      action: 'approve',
      outcome: 'refused',
      reason: 'no',
    });
    const raw = new DatabaseSync(path);
    expect(() => raw.exec(`UPDATE audit SET outcome = 'accepted'`)).toThrow('audit is append-only');
    expect(() => raw.exec('DELETE FROM audit')).toThrow('audit is append-only');
    raw.close();
    expect(store.gates.auditTrail()).toMatchObject([{ actor: 'alice', outcome: 'refused' }]);
    store.close();
  });

  it('claims a run for one owner at a time', () => {
    const store = new Store(path);
    const id = store.runs.create(newRun());
    const owner = { pid: 1, host: 'h', start: 's' };
    expect(store.runs.claim(id, owner)).toBe(true);
    expect(store.runs.claim(id, { ...owner, pid: 2 })).toBe(false);
    store.runs.disown(id, owner);
    expect(store.runs.claim(id, { ...owner, pid: 2 })).toBe(true);
    store.close();
  });

  it('orders each environment queue by request and records releases, outputs and releases history', () => {
    const store = new Store(path);
    const [a, b] = [store.runs.create(newRun()), store.runs.create(newRun())];
    store.locks.enqueue(a, ['prod', 'dev']);
    store.locks.enqueue(b, ['dev']);
    expect(store.locks.holds(a, 'dev')).toBe(true);
    expect(store.locks.holds(b, 'dev')).toBe(false);
    store.locks.release(a, 'dev');
    expect(store.locks.holds(b, 'dev')).toBe(true);
    store.runs.setOutput(a, 'image.digest', 'sha256:1');
    store.runs.setOutput(a, 'image.digest', 'sha256:2');
    expect(store.runs.outputs(a)).toEqual({ 'image.digest': 'sha256:2' });
    store.releases.record({
      environment: 'prod',
      host: 'web1',
      app: 'web',
      releaseId: 'r1',
      digest: 'sha256:2',
      configHash: 'c1',
      runId: a,
      approver: 'bob',
    });
    store.releases.record({
      environment: 'prod',
      host: 'web1',
      app: 'web',
      releaseId: 'r2',
      digest: 'sha256:3',
      configHash: 'c2',
    });
    expect(store.releases.list('prod', { app: 'web' }).map((r) => r.releaseId)).toEqual(['r2', 'r1']);
    store.close();
  });
});
