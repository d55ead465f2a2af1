import { targetHosts } from '../config/inventory/targets.ts';
import { backupCommand } from '../config/stateful-services.ts';
import type { InventoryHost } from '../config/types.ts';
import type { Change } from '../core/changes.ts';
import { restoreOnHost } from '../deploy/restore.ts';
import type { BackupRecord } from '../store/types.ts';
import { formatTime } from '../util/format.ts';
import type { DeployStep } from './kinds/deploy.ts';
import type { StepContext, StepResult } from './types.ts';

/** A restore run's backup, the host it is on and the service's commands; throws saying what does not fit. */
function restoreTarget(ctx: StepContext, step: DeployStep, id: number) {
  const app = step.deploy.app ?? ctx.pipeline.pipeline.name;
  const env = ctx.inventory?.environment;
  const backup: BackupRecord | undefined = ctx.releases.backup(id);
  if (!backup || backup.app !== app || backup.environment !== env)
    throw new Error(`deploy: the restore's backup (ledger row ${id}) is not a backup of ${app} in ${env}`);
  const host: InventoryHost | undefined = targetHosts('deploy', ctx.inventory, step.deploy.hosts).find(
    (h) => h.name === backup.host,
  );
  if (!host)
    throw new Error(
      `deploy: backup ${backup.backupId} is on ${backup.host}, which this step no longer deploys to`,
    );
  const mark = step.deploy.stateful[backup.service];
  const restore = mark ? mark.restore : undefined;
  if (!restore) {
    throw new Error(
      `deploy: stateful: ${backup.service} has no restore: command, so backup ${backup.backupId} cannot be restored; ` +
        `add one (e.g. restore: [psql, -U, app, app]) to the deploy step`,
    );
  }
  return { app, env: env!, backup, host, restore, backupArgv: backupCommand(mark) };
}

/** The restore as the approver sees it: which service's data on which host is replaced by which backup. */
export async function planRestore(ctx: StepContext, step: DeployStep, id: number): Promise<Change[]> {
  const { app, backup, backupArgv } = restoreTarget(ctx, step, id);
  const first = backupArgv ? '; its data as it is now is backed up first' : '';
  return [
    {
      host: backup.host,
      action: 'change',
      subject: `app ${app} stateful service ${backup.service}`,
      detail: `${backup.service}: restore backup ${backup.backupId} (${formatTime(backup.createdAt)}, ${backup.reason}), replacing its data${first}`,
    },
  ];
}

/** Restores the backup on its host; every backup taken on the way is recorded in the ledger. */
export async function applyRestore(ctx: StepContext, step: DeployStep, id: number): Promise<StepResult> {
  const { app, env, backup, host, restore, backupArgv } = restoreTarget(ctx, step, id);
  const docker = host.vars['docker_socket'];
  ctx.hostStatus(host.name, 'running');
  try {
    await restoreOnHost({
      transport: ctx.transports.get(host),
      ...(typeof docker === 'string' ? { dockerSocket: docker } : {}),
      app,
      environment: env,
      service: backup.service,
      backupId: backup.backupId,
      restore,
      ...(backupArgv ? { backup: backupArgv } : {}),
      onBackup: (b) => ctx.releases.recordBackup({ ...b, host: host.name, app, environment: env }),
      log: (line, stream) => ctx.log(line, { host: host.name, ...(stream ? { stream } : {}) }),
      signal: ctx.signal,
    });
  } catch (err) {
    ctx.hostStatus(host.name, 'failed', (err as Error).message);
    throw err;
  }
  ctx.hostStatus(host.name, 'changed', `restored ${backup.service} from ${backup.backupId}`);
  return { changed: true, hosts: { [host.name]: 'changed' } };
}
