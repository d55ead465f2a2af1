import type { Identity } from '../approvals/people.ts';
import type { PolicySource } from '../approvals/policy-source.ts';
import type { TrustedPolicy } from '../approvals/trusted-policy.ts';
import { formatConfigError } from '../config/errors.ts';
import { loadAppRepo } from '../config/load-repo.ts';
import type { ConfigError, LoadResult, OpsRepo, PipelineFile } from '../config/types.ts';
import { type Commit, createRun } from '../engine/create-run.ts';
import { selectJobs } from '../engine/dag.ts';
import { unresolvedSecrets } from '../engine/secrets.ts';
import type { Store } from '../store/store.ts';
import type { AppOrigin } from '../store/types.ts';
import type { Checkouts } from '../triggers/checkout.ts';
import { matchPush } from '../triggers/match-push.ts';
import type { PushEvent } from '../triggers/push-event.ts';
import { errorMessage } from '../util/errors.ts';

/** What turning pushes and polled commits into runs needs. */
export interface TriggerIntakeOptions {
  store: Store;
  checkouts: Checkouts;
  /** The policy in force (the default branch): slipway.yml and the branch rules come from here. */
  policy: PolicySource;
  /** Where commits are fetched from: the configured ops repository, never a URL taken from a payload. */
  repoUrl: string;
  /**
   * `owner/name` of the ops repository: pushes from it, or from an app repository slipway.yml registers on
   * the default branch, count; others are ignored.
   */
  repository?: string;
  /** Loads the commit's tree at `root` with slipway.yml from `projectFrom` (the trusted tree). */
  loadRepo(root: string, projectFrom: string): Promise<LoadResult> | LoadResult;
  inventoriesRoot?: string;
  log(line: string): void;
}

/** The outcome of one push: the runs it queued, or why none. */
export interface TriggerOutcome {
  runIds: number[];
  summary: string;
}

/**
 * Turns a push into queued runs: the commit is checked out, its own pipelines are loaded (so a push that
 * adds or changes a pipeline is matched against what it pushed) under slipway.yml of the default branch,
 * and every pipeline whose `on.push` matches gets a run, unless the policy in force keeps its branch out
 * of an environment it deploys to. Every pipeline that does not match is logged with the reason.
 */
export class TriggerIntake {
  readonly #o: TriggerIntakeOptions;
  /** Loaded repositories of recent commits: a burst of deliveries for one commit loads it once. */
  readonly #loaded = new Map<string, Promise<LoadResult>>();

  constructor(options: TriggerIntakeOptions) {
    this.#o = options;
  }

  /**
   * Queues the runs `push` starts; `label` names the delivery in log lines. `appsOnly`: it came through the
   * app repositories' route, whose secret app repositories hold, so only a registered app's push counts.
   */
  async accept(push: PushEvent, label: string, opts: { appsOnly?: boolean } = {}): Promise<TriggerOutcome> {
    const o = this.#o;
    const ignore = (summary: string): TriggerOutcome => {
      o.log(`${label}: ignored: ${summary}`);
      return { runIds: [], summary };
    };
    if (push.deleted) return ignore(`${push.ref} was deleted`);
    if (push.refType === 'other') return ignore(`${push.ref} is neither a branch nor a tag`);

    const policy = await o.policy.current();
    const app = registeredApp(policy, push.repository);
    if (opts.appsOnly && !app) {
      return ignore(
        `push to ${push.repository} through the app repositories' route: not an app registered in slipway.yml ` +
          `on ${policy.ref} (${policy.sha.slice(0, 12)}); nothing queued`,
      );
    }
    if (!app && o.repository && push.repository.toLowerCase() !== o.repository.toLowerCase()) {
      return ignore(
        `push to ${push.repository}: neither the ops repository ${o.repository} nor an app registered ` +
          `in slipway.yml on ${policy.ref} (${policy.sha.slice(0, 12)}); nothing queued`,
      );
    }
    const apps = Object.keys(policy.project.apps);
    if (!app && !o.repository && apps.length > 0) {
      // Without --repository every unregistered push would be taken as the ops repository's.
      return ignore(
        `push to ${push.repository}: slipway.yml on ${policy.ref} registers apps (${apps.join(', ')}) but serve ` +
          'has no --repository owner/name to tell the ops repository from others; nothing queued',
      );
    }
    const loaded = app
      ? await this.loadApp(app.name, push.ref, push.after, policy)
      : await this.load(push.ref, push.after, policy);
    if (!loaded.ok) {
      const what = app ? `app ${app.name}` : 'the ops repository';
      return ignore(`${what} at ${push.after.slice(0, 12)} is invalid: ${firstErrors(loaded.errors)}`);
    }
    const repo: OpsRepo = loaded.repo;
    const origin = app && { name: app.name, opsSha: policy.sha, opsRoot: repo.opsRoot ?? policy.root };
    // All or none: a delivery that fails queued nothing, so the forge's redelivery may take its push again.
    const { queued, skipped } = o.store.transaction(() => this.#queueMatching(repo, policy, push, origin));
    const runIds = queued.map((q) => q.id);
    for (const q of queued)
      o.log(
        `${label}: ${push.ref} at ${push.after.slice(0, 12)} queued run ${q.id} of ${q.pipeline}${q.note}`,
      );
    for (const line of skipped) o.log(`${label}: ${push.ref}: not starting ${line}`);
    if (runIds.length === 0) {
      return { runIds, summary: skipped.length ? skipped.join('; ') : 'the repository has no pipelines' };
    }
    return { runIds, summary: `queued run ${runIds.join(', ')}` };
  }

  /** Queues a run of each pipeline whose `on.push` matches `push`; says why each other one was not. */
  #queueMatching(repo: OpsRepo, policy: TrustedPolicy, push: PushEvent, app: AppOrigin | undefined) {
    const queued: { id: number; pipeline: string; note: string }[] = [];
    const skipped: string[] = [];
    for (const file of repo.pipelines) {
      const match = matchPush(file.pipeline.on, push);
      if (!match.matched) {
        skipped.push(`${file.pipeline.name}: ${match.reason}`);
        continue;
      }
      const id = this.#queue(repo, policy, file, {
        sha: push.after,
        branch: push.refName,
        // The forge login when the payload has one: self-approval is checked against logins.
        authorName: push.author?.login ?? push.author?.name,
        authorEmail: push.author?.email,
        triggeredBy: push.pusher,
        triggerIdentity: { channel: push.forge, login: push.pusher },
        app,
      });
      if (typeof id === 'string') {
        skipped.push(`${file.pipeline.name}: ${id}`);
        continue;
      }
      queued.push({ id, pipeline: file.pipeline.name, note: match.note ? ` (${match.note})` : '' });
    }
    return { queued, skipped };
  }

  /** Queues a run of pipeline `name` at a commit the poller found on `branch`. */
  acceptPoll(name: string, branch: string, sha: string, label: string): Promise<TriggerOutcome> {
    return this.#acceptHead({ name, branch, sha, label, triggeredBy: 'poll' }, (file) =>
      file.pipeline.on.poll?.branch === branch ? undefined : `pipeline ${name} no longer polls ${branch}`,
    );
  }

  /** Queues a run of pipeline `name` at the head of `branch` when its `on.schedule` entry `index` is due. */
  acceptSchedule(
    name: string,
    index: number,
    branch: string,
    sha: string,
    label: string,
  ): Promise<TriggerOutcome> {
    return this.#acceptHead({ name, branch, sha, label, triggeredBy: 'schedule' }, (file) => {
      const entry = file.pipeline.on.schedule?.[index];
      return entry?.mode === 'run' && entry.branch === branch
        ? undefined
        : `pipeline ${name} no longer runs ${branch} on schedule entry ${index}`;
    });
  }

  /** Queues a run of pipeline `name` at a branch head a trigger found, unless `stale` says it no longer applies. */
  async #acceptHead(
    t: { name: string; branch: string; sha: string; label: string; triggeredBy: string },
    stale: (file: PipelineFile) => string | undefined,
  ): Promise<TriggerOutcome> {
    const policy = await this.#o.policy.current();
    const loaded = await this.load(`refs/heads/${t.branch}`, t.sha, policy);
    const ignore = (summary: string): TriggerOutcome => {
      this.#o.log(`${t.label}: ignored: ${summary}`);
      return { runIds: [], summary };
    };
    const at = t.sha.slice(0, 12);
    if (!loaded.ok) return ignore(`the ops repository at ${at} is invalid: ${firstErrors(loaded.errors)}`);
    const file = loaded.repo.pipelines.find((p) => p.pipeline.name === t.name);
    if (!file) return ignore(`pipeline ${t.name} is not in the repository at ${at}`);
    const why = stale(file);
    if (why) return ignore(why);
    const author = await this.#o.checkouts.author(t.sha);
    const id = this.#queue(loaded.repo, policy, file, {
      sha: t.sha,
      branch: t.branch,
      ...author,
      triggeredBy: t.triggeredBy,
    });
    if (typeof id === 'string') return ignore(id);
    this.#o.log(`${t.label}: ${t.branch} at ${at} queued run ${id} of ${t.name}`);
    return { runIds: [id], summary: `queued run ${id}` };
  }

  /** Queues a run; the refusal text when the policy in force keeps the branch out of an environment. */
  #queue(
    repo: OpsRepo,
    policy: TrustedPolicy,
    file: PipelineFile,
    c: Commit & { triggeredBy: string; triggerIdentity?: Identity; app?: AppOrigin },
  ): number | string {
    let id: number;
    try {
      id = createRun(this.#o.store, {
        repo,
        pipeline: file,
        commit: { sha: c.sha, branch: c.branch, authorName: c.authorName, authorEmail: c.authorEmail },
        triggeredBy: c.triggeredBy,
        ...(c.triggerIdentity ? { triggerIdentity: c.triggerIdentity } : {}),
        channel: 'forge',
        policy,
        inventoriesRoot: this.#o.inventoriesRoot,
        ...(c.app ? { app: c.app } : {}),
      });
    } catch (err) {
      return errorMessage(err);
    }
    // serve resolves secrets from its own sources: say now which it lacks, not after an approval.
    for (const p of unresolvedSecrets(file.pipeline, selectJobs(file.pipeline)))
      this.#o.log(`run ${id}: warning: serve cannot resolve ${p}`);
    return id;
  }

  /** The commit's tree loaded under the trusted slipway.yml; a burst of deliveries for one commit loads it once. */
  load(ref: string, sha: string, policy: TrustedPolicy): Promise<LoadResult> {
    return this.#once(`${sha}:${policy.sha}`, () =>
      this.#o.checkouts.at(this.#o.repoUrl, ref, sha).then((root) => this.#o.loadRepo(root, policy.root)),
    );
  }

  /**
   * App `name`'s commit, fetched from the URL the policy registers for it (never one from a payload), with
   * its pipeline loaded under the policy's tree: slipway.yml, inventories and infra/ of the ops commit.
   */
  loadApp(name: string, ref: string, sha: string, policy: TrustedPolicy): Promise<LoadResult> {
    const url = policy.project.apps[name]!.url;
    return this.#once(`${name}:${sha}:${policy.sha}`, () =>
      this.#o.checkouts
        .at(url, ref, sha)
        .then((root) =>
          loadAppRepo({ name, root }, policy.root, { inventoriesRoot: this.#o.inventoriesRoot }),
        ),
    );
  }

  /** `load()`'s result shared by every caller of `key` while it is among the last few. */
  #once(key: string, load: () => Promise<LoadResult>): Promise<LoadResult> {
    let pending = this.#loaded.get(key);
    if (!pending) {
      pending = load();
      this.#loaded.set(key, pending);
      pending.catch(() => this.#loaded.delete(key));
      // Keep the last few commits only.
      if (this.#loaded.size > 8) this.#loaded.delete(this.#loaded.keys().next().value!);
    }
    return pending;
  }
}

/** The app slipway.yml registers for the repository a push names (`owner/name`, any case), if any. */
export function registeredApp(policy: TrustedPolicy, repository: string): { name: string } | undefined {
  const wanted = repository.toLowerCase();
  const found = Object.entries(policy.project.apps).find(([, a]) => a.repository.toLowerCase() === wanted);
  return found && { name: found[0] };
}

/** The first few errors of an invalid repository, on one line. */
export function firstErrors(errors: ConfigError[]): string {
  return errors.slice(0, 5).map(formatConfigError).join('; ');
}
