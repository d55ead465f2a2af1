import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { trustedPolicyOf } from '../../../src/approvals/trusted-policy.ts';
import { loadRepo } from '../../../src/config/load-repo.ts';
import type { OpsRepo } from '../../../src/config/types.ts';
import { chooseBackup, createRestoreRun } from '../../../src/engine/restore-run.ts';
import { runLedger } from '../../../src/engine/run-ledger.ts';
import { deployHandler } from '../../../src/steps/deploy.ts';
import { deployKind } from '../../../src/steps/kinds/deploy.ts';
import { Store } from '../../../src/store/store.ts';
import { recordBackup } from '../../support/backup-records.ts';
import { stepContext } from '../../support/step-context.ts';

// This checkout's sample repository: pipelines/notes.yml deploys app notes, with its db stateful.
const ROOT = resolve(import.meta.dirname, '../../..');

describe('restore runs', () => {
  let dir: string;
  let store: Store;
  let repo: OpsRepo;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-restore-'));
    store = new Store(join(dir, 'state.db'));
    const loaded = await loadRepo(ROOT, { inventoriesRoot: join(ROOT, 'inventories', 'sandbox') });
    if (!loaded.ok) throw new Error('the sample repository does not load');
    repo = loaded.repo;
  });
  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("queues prod's deploy job alone, marked with the backup, whose plan is the restore on the backup's host", async () => {
    const id = recordBackup(store, '20261202-100000-db');
    const { runId, backup } = createRestoreRun(store, {
      repo,
      env: 'prod',
      app: 'notes',
      backup: '20261202-100000-db',
      commit: { sha: 'a'.repeat(40), branch: 'main' },
      triggeredBy: 'alice',
      channel: 'cli',
      policy: trustedPolicyOf(repo, 'refs/heads/main', 'f'.repeat(40)),
    });
    expect(backup.id).toBe(id);
    const detail = store.detail(runId)!;
    expect(detail.run.restoreBackup).toBe(id);
    expect(detail.jobs.map((j) => [j.name, j.needs])).toEqual([['deploy-prod', []]]);

    const notes = parse(readFileSync(join(ROOT, 'pipelines/notes.yml'), 'utf8'));
    const step = deployKind.schema.parse(notes.jobs['deploy-prod'].steps[0]);
    const { ctx } = stepContext({
      workdir: ROOT,
      sha: 'a'.repeat(40),
      pipeline: notes,
      inventory: repo.inventories.get('prod')!,
      releases: runLedger(store, runId),
      restoreBackup: id,
    });
    expect(await deployHandler.plan(ctx, step)).toEqual([
      {
        host: 'prod1',
        action: 'change',
        subject: 'app notes stateful service db',
        detail: expect.stringMatching(
          /^db: restore backup 20261202-100000-db \(.*, before the release command\), replacing its data; its data as it is now is backed up first$/,
        ),
      },
    ]);
  });

  it('names a backup by id or number; refuses one removed, one taken on two hosts, or none', () => {
    recordBackup(store, '20261202-100000-db', 'prod1');
    recordBackup(store, '20261202-100000-db', 'prod2');
    const third = recordBackup(store, '20261203-100000-db');
    store.backups.removed({ environment: 'prod', host: 'prod1', app: 'notes', service: 'db' }, [
      '20261203-100000-db',
    ]);
    const all = store.backups.list('prod', 'notes');
    expect(chooseBackup(all, 'prod', 'notes', '1').host).toBe('prod1');
    expect(() => chooseBackup(all, 'prod', 'notes', '20261202-100000-db')).toThrow(
      /was taken on prod2, prod1: name one by its number/,
    );
    expect(() => chooseBackup(all, 'prod', 'notes', String(third))).toThrow(/was removed from its host/);
    expect(() => chooseBackup(all, 'prod', 'notes', '../../etc/shadow')).toThrow(
      'no backup ../../etc/shadow of notes in prod (see: slipway backups prod notes)',
    );
  });
});
