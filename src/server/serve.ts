import type { PolicySource } from '../approvals/policy-source.ts';
import { ratifiedPolicySource } from '../approvals/ratified-policy.ts';
import { loadRepo } from '../config/load-repo.ts';
import type { PipelineFile } from '../config/types.ts';
import { type DashboardConfig, dashboardService } from '../dashboard/mount.ts';
import type { ExecuteOptions } from '../engine/executor.ts';
import type { Forge, ForgeKind, RepoId } from '../forge/types.ts';
import { Deliveries } from '../store/deliveries.ts';
import { ForgeLinks } from '../store/forge-links.ts';
import { Store } from '../store/store.ts';
import type { DriftCheckRecord } from '../store/types.ts';
import { type Checkouts, checkoutsBeside } from '../triggers/checkout.ts';
import { remotePolicySource } from '../triggers/policy-ref.ts';
import { errorMessage } from '../util/errors.ts';
import type { BodyBudgetLimits } from './body-budget.ts';
import { DeliveryProcessor } from './delivery-processor.ts';
import { DeliverySpool, spoolDirOf } from './delivery-spool.ts';
import { DriftChecker } from './drift-check.ts';
import { ForgeCommentPoller } from './forge-comment-poller.ts';
import { commentDecider, forgeCommentHandler } from './forge-comments.ts';
import { ForgeReporter } from './forge-reporter.ts';
import { Notifier, type NotifierOptions } from './notifier.ts';
import { periodic } from './periodic.ts';
import { POLICY_CHECK_MS, policyWatch } from './policy-watch.ts';
import { Poller } from './poller.ts';
import type { Router } from './router.ts';
import { Scheduler } from './scheduler.ts';
import { type RunningServer, type Service, startHttpServer } from './server.ts';
import { SPOOL_INGEST_EVERY_MS, SpoolIngester } from './spool-ingester.ts';
import { TriggerIntake } from './trigger-intake.ts';
import { Worker } from './worker.ts';

/** Everything `slipway serve` is configured with. */
export interface ServeOptions {
  host: string;
  port: number;
  /** The SQLite store; checkouts go next to it (`git/cache.git`, `work/<sha>`). */
  statePath: string;
  /** The ops repository runs are fetched from. */
  repoUrl: string;
  /** `owner/name` whose pushes count; others are ignored. */
  repository?: string;
  /** Webhook secret per forge; a forge without one gets no route. */
  secrets: Partial<Record<ForgeKind, string>>;
  /** Secret per forge of `/webhooks/<forge>/apps`, the route app repositories' webhooks use (pushes only). */
  appSecrets?: Partial<Record<ForgeKind, string>>;
  /** Pipelines with `on.poll` to poll (from the served checkout, loaded at start). */
  pollPipelines: PipelineFile[];
  /** Pipelines with `on.schedule` (from the served checkout, loaded at start). */
  schedulePipelines?: PipelineFile[];
  /** Links and TLS for notifications (slipway.yml `notifications` says what and where). */
  notifications?: Pick<NotifierOptions, 'runUrl' | 'environmentUrl' | 'smtpTls'> & { pollMs?: number };
  /** What time it is for the schedule (default: the system's clock; a test moves it to a due time). */
  clock?(): Date;
  /** Told of each environment's drift check once recorded. */
  driftChecked?(check: DriftCheckRecord): Promise<void> | void;
  inventoriesRoot?: string;
  /** The run executor; off to only take deliveries in (another process executes). */
  worker: { concurrency: number; pollMs: number; graceMs: number } | false;
  /** How the worker loads a stored run's repository and pipeline under the policy in force. */
  loadRun(policy: PolicySource): ExecuteOptions['load'];
  /** The forge runs are reported to and approvals are taken from (statuses, deployments, issues). */
  forge?: {
    forge: Forge;
    repo: RepoId;
    environmentUrls: Readonly<Record<string, string>>;
    runUrl?(runId: number): string | undefined;
    pollMs: number;
    /** Read approval issues' comments this often too, for forges whose webhooks cannot reach the runner. */
    commentPollMs?: number;
  };
  /** How many webhook bodies are read at once (default: WEBHOOK_BODY_LIMITS). */
  webhookBodies?: BodyBudgetLimits;
  /** How many bytes of deliveries the spool holds while the store is busy (default: SPOOL_MAX_BYTES). */
  spoolMaxBytes?: number;
  /** How often the default branch's policy is asked for when nothing else asks (default POLICY_CHECK_MS). */
  policyCheckMs?: number;
  /** Extra routes and services. */
  mount?: (router: Router) => void;
  /** The dashboard (runs, gates, approvals, releases, audit); absent: no dashboard routes. */
  dashboard?: DashboardConfig;
  log(line: string): void;
}

/** A running `slipway serve`. */
export interface Serving extends RunningServer {
  store: Store;
  deliveries: Deliveries;
  poller: Poller;
  scheduler: Scheduler;
  worker?: Worker;
  reporter?: ForgeReporter;
  notifier: Notifier;
  commentPoller?: ForgeCommentPoller;
  /** Resolves once every stored delivery is processed (and, with a worker, every started run settled). */
  idle(): Promise<void>;
}

/** How long storing a webhook delivery waits for another process's write before spooling it. */
const WEBHOOK_STORE_WAIT_MS = 1_000;

/** How long the spool's ingest waits for another process's write: it tries again a second later. */
const SPOOL_STORE_WAIT_MS = 50;

/** Starts `slipway serve`: webhooks and polling turn commits into queued runs, the worker executes them. */
export async function serve(o: ServeOptions): Promise<Serving> {
  const store = new Store(o.statePath);
  const deliveries = new Deliveries(o.statePath);
  // The webhook route's own connection: a request must not hold the event loop long while another process
  // writes; past this wait the delivery goes to the spool.
  const intakeDeliveries = new Deliveries(o.statePath, { busyTimeoutMs: WEBHOOK_STORE_WAIT_MS });
  // What the store could not take when it arrived, kept on disk until it can.
  const spool = new DeliverySpool(spoolDirOf(o.statePath), {
    ...(o.spoolMaxBytes ? { maxBytes: o.spoolMaxBytes } : {}),
  });
  const spoolDeliveries = new Deliveries(o.statePath, { busyTimeoutMs: SPOOL_STORE_WAIT_MS });
  for (const id of deliveries.failInterrupted())
    o.log(`delivery ${id}: interrupted by the last shutdown, marked failed`);
  const checkouts = checkoutsBeside(o.statePath);
  // The policy in force: the fetched origin's default branch as ratified, asked again at each decision and run start.
  const policy = ratifiedPolicySource(
    () => store,
    remotePolicySource(checkouts, o.repoUrl, { inventoriesRoot: o.inventoriesRoot }),
  );
  const intake = new TriggerIntake({
    store,
    checkouts,
    policy,
    repoUrl: o.repoUrl,
    repository: o.repository,
    loadRepo: (root, projectFrom) => loadRepo(root, { inventoriesRoot: o.inventoriesRoot, projectFrom }),
    inventoriesRoot: o.inventoriesRoot,
    log: o.log,
  });
  const worker = o.worker
    ? new Worker({ store, load: o.loadRun(policy), ...o.worker, log: o.log })
    : undefined;
  const links = o.forge ? new ForgeLinks(o.statePath) : undefined;
  const reporter =
    o.forge && links
      ? new ForgeReporter({
          store,
          links,
          ...o.forge,
          policy,
          ...(o.notifications?.environmentUrl ? { environmentUrl: o.notifications.environmentUrl } : {}),
          log: o.log,
        })
      : undefined;
  const channel =
    o.forge && links
      ? {
          store,
          links,
          forge: o.forge.forge,
          repo: o.forge.repo,
          policy,
          decided: () => {
            worker?.tick();
            void reporter?.tick();
          },
          log: o.log,
        }
      : undefined;
  const decide = channel && commentDecider(channel);
  const issueComment = channel && forgeCommentHandler(channel, decide);
  const commentPoller =
    channel && decide && o.forge?.commentPollMs
      ? new ForgeCommentPoller({ ...channel, decide, intervalMs: o.forge.commentPollMs })
      : undefined;
  const notifier = new Notifier({
    store,
    policy,
    ...o.notifications,
    pollMs: o.notifications?.pollMs ?? 1_000,
    log: o.log,
  });
  const drift = new DriftChecker({
    store,
    intake,
    policy,
    log: o.log,
    checked: async (check) => {
      await Promise.all([reporter?.reportDrift(check), notifier.drift(check), o.driftChecked?.(check)]);
    },
  });
  const processor = new DeliveryProcessor({
    deliveries,
    intake,
    drift,
    issueComment,
    queued: () => worker?.tick(),
    log: o.log,
  });
  const wake = () => processor.wake();
  const ingester = new SpoolIngester({ spool, deliveries: spoolDeliveries, ingested: wake, log: o.log });
  const ingest = periodic('spool ingester', SPOOL_INGEST_EVERY_MS, async () => ingester.ingest());
  const poller = new Poller({
    pipelines: o.pollPipelines,
    checkouts,
    repoUrl: o.repoUrl,
    deliveries,
    received: wake,
    log: o.log,
  });
  const scheduler = new Scheduler({
    pipelines: o.schedulePipelines ?? [],
    checkouts,
    repoUrl: o.repoUrl,
    deliveries,
    received: wake,
    log: o.log,
    ...(o.clock ? { now: o.clock } : {}),
  });
  const pruner = workPruner(store, checkouts, o.log);
  const watch = policyWatch(policy, o.policyCheckMs ?? POLICY_CHECK_MS, o.log);
  const dashboard = o.dashboard
    ? dashboardService({
        ...o.dashboard,
        store,
        statePath: o.statePath,
        policy,
        decided: () => {
          worker?.tick();
          void reporter?.tick();
        },
      })
    : undefined;
  // Stopped in this order: no new commits, no new runs queued, running work checkpoints, the forge hears
  // the last of it, then the store closes.
  const services: Service[] = [
    // First: its live log streams are open connections the HTTP server would otherwise wait for.
    ...(dashboard ? [dashboard.service] : []),
    pruner,
    watch,
    poller,
    scheduler,
    ...(commentPoller ? [commentPoller] : []),
    ingest,
    { name: 'deliveries', stop: () => processor.stop() },
    ...(worker ? [worker] : []),
    ...(reporter ? [reporter] : []),
    notifier,
    {
      name: 'store',
      stop: async () => {
        links?.close();
        intakeDeliveries.close();
        spoolDeliveries.close();
        spool.close();
        deliveries.close();
        store.close();
      },
    },
  ];
  const http = await startHttpServer({
    host: o.host,
    port: o.port,
    deliveries: intakeDeliveries,
    spool,
    secrets: o.secrets,
    ...(o.appSecrets ? { appSecrets: o.appSecrets } : {}),
    ...(o.webhookBodies ? { bodyLimits: o.webhookBodies } : {}),
    received: wake,
    services,
    mount: (router) => {
      dashboard?.mount(router);
      o.mount?.(router);
    },
    log: o.log,
  });
  // Deliveries stored or spooled before a restart are processed now; then polling and execution start.
  ingest.start();
  processor.wake();
  pruner.start();
  watch.start();
  poller.start();
  scheduler.start();
  worker?.start();
  reporter?.start();
  notifier.start();
  commentPoller?.start();
  return {
    ...http,
    store,
    deliveries,
    poller,
    scheduler,
    worker,
    reporter,
    notifier,
    commentPoller,
    async idle() {
      await processor.idle();
      await worker?.idle();
      await reporter?.flush();
      await notifier.flush();
    },
  };
}

/** Commit trees kept besides those of unfinished runs (recent ones are often asked for again). */
const KEEP_LATEST_TREES = 20;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Removes checked-out commit trees that no unfinished run needs, at start and then hourly; the tree of the
 * policy in force stays too.
 */
function workPruner(store: Store, checkouts: Checkouts, log: (line: string) => void) {
  return periodic('work pruner', PRUNE_EVERY_MS, () => {
    const unfinished = ['queued', 'running', 'waiting', 'interrupted'] as const;
    const runs = store.runs.list({ status: [...unfinished], limit: 10_000 });
    // An app repository's run needs its ops commit's tree too: it is reloaded from it on resume.
    const keep = new Set(runs.flatMap((r) => [r.sha, ...(r.app ? [r.app.opsSha] : [])]));
    const policy = store.policies.inForce();
    if (policy) keep.add(policy.sha);
    return checkouts.prune(keep, KEEP_LATEST_TREES).then(
      (removed) => removed.length && log(`removed ${removed.length} commit tree(s) no run needs`),
      (err: unknown) => log(`pruning commit trees: ${errorMessage(err)}`),
    );
  });
}
