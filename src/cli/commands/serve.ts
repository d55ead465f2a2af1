import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import type { PolicySource } from '../../approvals/policy-source.ts';
import { duration } from '../../config/schema/common.ts';
import type { RollbackRequest, StartRequest } from '../../dashboard/data.ts';
import { lockTimeoutFromEnv } from '../../engine/lock-wait.ts';
import { createForge } from '../../forge/create.ts';
import type { ForgeKind, RepoId } from '../../forge/types.ts';
import { serve } from '../../server/serve.ts';
import { type Store, storePath } from '../../store/store.ts';
import { checkoutsBeside } from '../../triggers/checkout.ts';
import { dashboardRollback, dashboardRun } from '../dashboard-actions.ts';
import { liveEnvironment } from '../dashboard-environment.ts';
import { dashboardRerun } from '../dashboard-rerun.ts';
import { CliError } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import { loadRepoForCommand, repoFlags } from '../repo-config.ts';
import { runContextLoader } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

interface ServeFlags {
  listen: string;
  repoUrl?: string;
  repository?: string;
  forge?: ForgeKind;
  forgeUrl?: string;
  publicUrl?: string;
  worker: boolean;
  concurrency: string;
  pollComments?: string;
}

const DEFAULT_API: Record<ForgeKind, string | undefined> = {
  github: 'https://api.github.com',
  gitea: undefined,
};

/** `slipway serve`: webhooks, polling, the forge channel and the worker that executes queued runs. */
export const registerServe: RegisterCommand = (program) => {
  program
    .command('serve')
    .description(
      'take pushes (webhooks, polling), execute queued runs, report to the forge and take approvals there. ' +
        'Secrets come from the environment: SLIPWAY_WEBHOOK_SECRET (or SLIPWAY_GITHUB_WEBHOOK_SECRET / ' +
        'SLIPWAY_GITEA_WEBHOOK_SECRET), SLIPWAY_APP_WEBHOOK_SECRET (the route app repositories use: ' +
        '/webhooks/<forge>/apps, their pushes only) and SLIPWAY_FORGE_TOKEN',
    )
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option('--repo-url <url>', "where commits are fetched from (default: the repository's origin remote)")
    .option(
      '--repository <owner/name>',
      'the ops repository: only its pushes and those of apps slipway.yml registers count (required when it registers apps); also the forge repository',
    )
    .option('--forge <kind>', 'report to and take approvals from this forge: github or gitea')
    .option('--forge-url <url>', 'the forge API (GitHub: https://api.github.com; Gitea: the server URL)')
    .option(
      '--public-url <url>',
      'where the dashboard is reachable, for links on the forge; the dashboard answers only this host ' +
        '(without it: localhost, 127.0.0.1 and [::1] only)',
    )
    .option(
      '--poll-comments <duration>',
      'also read approval issues this often (e.g. 1m), when webhooks cannot reach us',
    )
    .option('--no-worker', 'only take deliveries in; another process executes the runs')
    .option('--concurrency <n>', 'runs executed at the same time', '2')
    .action(async (_opts, cmd) => {
      const f = cmd.opts() as ServeFlags;
      const { root, load } = repoFlags(cmd);
      const repo = await loadRepoForCommand(cmd);
      refuseAppsWithoutRepository(Object.keys(repo.project.apps), f.repository);
      const listen = f.listen.match(/^(.*):(\d+)$/);
      if (!listen) throw new Error(`--listen: expected host:port, got ${JSON.stringify(f.listen)}`);
      const env = process.env;
      const secrets = {
        github: env.SLIPWAY_GITHUB_WEBHOOK_SECRET ?? env.SLIPWAY_WEBHOOK_SECRET,
        gitea: env.SLIPWAY_GITEA_WEBHOOK_SECRET ?? env.SLIPWAY_WEBHOOK_SECRET,
      };
      const appSecrets = appWebhookSecrets(env.SLIPWAY_APP_WEBHOOK_SECRET, secrets);
      const repoUrl = f.repoUrl ?? (await originUrl(root));
      const forge = f.forge ? forgeBinding(f, env.SLIPWAY_FORGE_TOKEN) : undefined;
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      lockTimeoutFromEnv(); // a malformed SLIPWAY_LOCK_TIMEOUT is refused now, not at each run
      keepServingOnStrayErrors(log);
      const environmentUrls = Object.fromEntries(
        Object.entries(repo.project.environments).flatMap(([name, e]) => (e.url ? [[name, e.url]] : [])),
      );
      const server = await serve({
        host: listen[1]!.replace(/^\[(.*)\]$/, '$1'),
        port: Number(listen[2]),
        statePath: storePath(root),
        repoUrl,
        repository: f.repository,
        secrets,
        appSecrets,
        pollPipelines: repo.pipelines.filter((p) => p.pipeline.on.poll),
        schedulePipelines: repo.pipelines.filter((p) => p.pipeline.on.schedule),
        inventoriesRoot: load.inventoriesRoot,
        worker: f.worker ? { concurrency: positive(f.concurrency), pollMs: 1_000, graceMs: 30_000 } : false,
        loadRun: runContextLoader,
        ...(f.publicUrl ? { notifications: dashboardLinks(f.publicUrl) } : {}),
        dashboard: {
          environments: Object.keys(repo.project.environments),
          publicUrl: f.publicUrl,
          ...dashboardStarts({ root, inventoriesRoot: load.inventoriesRoot }),
          rerun: dashboardRerun,
        },
        ...(forge
          ? {
              forge: {
                ...forge,
                environmentUrls,
                runUrl: f.publicUrl
                  ? (id: number) => `${f.publicUrl!.replace(/\/+$/, '')}/runs/${id}`
                  : undefined,
                pollMs: 1_000,
                ...(f.pollComments ? { commentPollMs: durationFlag('--poll-comments', f.pollComments) } : {}),
              },
            }
          : {}),
        log,
      });
      const routes = (['github', 'gitea'] as const).flatMap((k) => [
        ...(secrets[k] ? [`/webhooks/${k}`] : []),
        ...(appSecrets[k] ? [`/webhooks/${k}/apps`] : []),
      ]);
      log(
        `slipway serve on ${server.url} (${routes.length ? routes.join(', ') : 'no webhook secret: webhooks off'}); fetching from ${repoUrl}`,
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log(`${signal}: stopping (running steps get up to 30 s to finish)`);
          server.close().then(resolve, resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
};

/**
 * The secret of the app repositories' route (`/webhooks/<forge>/apps`, pushes of registered apps only): app
 * repositories' admins hold it, so it must not be the ops secret, which also signs comments that approve.
 */
function appWebhookSecrets(
  secret: string | undefined,
  opsSecrets: Partial<Record<ForgeKind, string>>,
): Partial<Record<ForgeKind, string>> {
  if (!secret) return {};
  if (Object.values(opsSecrets).includes(secret))
    throw new Error(
      'SLIPWAY_APP_WEBHOOK_SECRET: expected a secret of its own, got the ops webhook secret (app repositories ' +
        'hold theirs; whoever holds the ops secret can sign approval comments)',
    );
  return { github: secret, gitea: secret };
}

/** The dashboard's starts (rollback, redeploy, run) and live reads, on the served checkout under the policy in force. */
function dashboardStarts(checkout: { root: string; inventoriesRoot?: string }) {
  const at = (policy: PolicySource) => ({ ...checkout, policy });
  // A registered app's commits: the trees serve writes beside its store, fetched from the registered URL.
  const apps = (policy: PolicySource) => ({
    ...at(policy),
    checkouts: checkoutsBeside(storePath(checkout.root)),
  });
  return {
    rollback: (store: Store, req: RollbackRequest, policy: PolicySource) =>
      dashboardRollback(store, req, apps(policy)),
    redeploy: (store: Store, req: RollbackRequest, policy: PolicySource) =>
      dashboardRollback(store, req, apps(policy), { redeploy: true }),
    startRun: (store: Store, req: StartRequest, policy: PolicySource) => dashboardRun(store, req, at(policy)),
    live: (env: string, policy: PolicySource) => liveEnvironment(env, at(policy)),
  };
}

/**
 * Throws a usage error when slipway.yml registers apps and `--repository` is missing: without it, a push of any
 * repository that is not a registered app would be taken as the ops repository's and fetched from its URL.
 */
function refuseAppsWithoutRepository(apps: readonly string[], repository: string | undefined): void {
  if (apps.length === 0 || repository) return;
  throw new CliError(
    `--repository owner/name is needed when slipway.yml registers apps: ${apps.join(', ')} ` +
      "(it tells the ops repository's pushes from those of other repositories)",
    ExitCode.InvalidConfig,
  );
}

/** Links to the dashboard's run and environment pages, for notifications and forge issues. */
function dashboardLinks(publicUrl: string) {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    runUrl: (id: number) => `${base}/runs/${id}`,
    environmentUrl: (env: string) => `${base}/environments/${encodeURIComponent(env)}`,
  };
}

function forgeBinding(f: ServeFlags, token: string | undefined) {
  if (f.forge !== 'github' && f.forge !== 'gitea')
    throw new Error(`--forge: expected github or gitea, got ${f.forge}`);
  const url = f.forgeUrl ?? DEFAULT_API[f.forge];
  if (!url) throw new Error('--forge gitea needs --forge-url (the Gitea server URL)');
  if (!token) throw new Error('--forge needs a token in SLIPWAY_FORGE_TOKEN');
  const [owner, name] = (f.repository ?? '').split('/');
  if (!owner || !name) throw new Error('--forge needs --repository owner/name');
  const repo: RepoId = { owner, repo: name };
  return { forge: createForge(f.forge, { url, token }), repo };
}

/** The origin remote of the checkout, else the checkout itself (serving a local repository). */
async function originUrl(root: string): Promise<string> {
  const r = await execa('git', ['-C', root, 'remote', 'get-url', 'origin'], { reject: false });
  return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : pathToFileURL(root).href;
}

function durationFlag(flag: string, text: string): number {
  const parsed = duration.safeParse(text);
  if (!parsed.success)
    throw new Error(`${flag}: expected a duration like 30s or 1m, got ${JSON.stringify(text)}`);
  return parsed.data;
}

function positive(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--concurrency: expected a positive number, got ${text}`);
  return n;
}

/**
 * A stray error (a timer's store write during another process's long lock, a socket that failed late) is
 * logged and serving goes on: the runs it touched are recovered by the worker's next look, and an exit here
 * would orphan every running step.
 */
function keepServingOnStrayErrors(log: (line: string) => void): void {
  const report = (what: string) => (err: unknown) =>
    log(`${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)} (still serving)`);
  process.on('uncaughtException', report('uncaught exception'));
  process.on('unhandledRejection', report('unhandled rejection'));
}
