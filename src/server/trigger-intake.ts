import { formatConfigError } from '../config/errors.ts';
import type { ConfigError, LoadResult, OpsRepo, PipelineFile } from '../config/types.ts';
import { createRun } from '../engine/create-run.ts';
import { selectJobs } from '../engine/dag.ts';
import { unresolvedSecrets } from '../engine/secrets.ts';
import type { Store } from '../store/store.ts';
import type { Checkouts } from '../triggers/checkout.ts';
import { matchPush } from '../triggers/match-push.ts';
import type { PushEvent } from '../triggers/push-event.ts';

/** What turning pushes and polled commits into runs needs. */
export interface TriggerIntakeOptions {
  store: Store;
  checkouts: Checkouts;
  /** Where commits are fetched from: the configured ops repository, never a URL taken from a payload. */
  repoUrl: string;
  /** `owner/name` the pushes must come from; others are ignored. */
  repository?: string;
  loadRepo(root: string): Promise<LoadResult> | LoadResult;
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
 * adds or changes a pipeline is matched against what it pushed), and every pipeline whose `on.push`
 * matches gets a run. Every pipeline that does not match is logged with the reason.
 */
export class TriggerIntake {
  readonly #o: TriggerIntakeOptions;
  /** Loaded repositories of recent commits: a burst of deliveries for one commit loads it once. */
  readonly #loaded = new Map<string, Promise<LoadResult>>();

  constructor(options: TriggerIntakeOptions) {
    this.#o = options;
  }

  /** Queues the runs `push` starts; `label` names the delivery in log lines. */
  async accept(push: PushEvent, label: string): Promise<TriggerOutcome> {
    const o = this.#o;
    const ignore = (summary: string): TriggerOutcome => {
      o.log(`${label}: ignored: ${summary}`);
      return { runIds: [], summary };
    };
    if (o.repository && push.repository.toLowerCase() !== o.repository.toLowerCase()) {
      return ignore(`push to ${push.repository}, not ${o.repository}`);
    }
    if (push.deleted) return ignore(`${push.ref} was deleted`);
    if (push.refType === 'other') return ignore(`${push.ref} is neither a branch nor a tag`);

    const loaded = await this.#load(push.ref, push.after);
    if (!loaded.ok) {
      return ignore(
        `the ops repository at ${push.after.slice(0, 12)} is invalid: ${firstErrors(loaded.errors)}`,
      );
    }
    const repo: OpsRepo = loaded.repo;
    const runIds: number[] = [];
    const skipped: string[] = [];
    for (const file of repo.pipelines) {
      const match = matchPush(file.pipeline.on, push);
      if (!match.matched) {
        skipped.push(`${file.pipeline.name}: ${match.reason}`);
        continue;
      }
      const id = this.#queue(repo, file, {
        sha: push.after,
        branch: push.refName,
        // The forge login when the payload has one: self-approval is checked against logins.
        authorName: push.author?.login ?? push.author?.name,
        authorEmail: push.author?.email,
        triggeredBy: push.pusher,
      });
      runIds.push(id);
      o.log(
        `${label}: ${push.ref} at ${push.after.slice(0, 12)} queued run ${id} of ${file.pipeline.name}${match.note ? ` (${match.note})` : ''}`,
      );
    }
    for (const line of skipped) o.log(`${label}: ${push.ref}: not starting ${line}`);
    if (runIds.length === 0) {
      return { runIds, summary: skipped.length ? skipped.join('; ') : 'the repository has no pipelines' };
    }
    return { runIds, summary: `queued run ${runIds.join(', ')}` };
  }

  /** Queues a run of pipeline `name` at a commit the poller found on `branch`. */
  async acceptPoll(name: string, branch: string, sha: string, label: string): Promise<TriggerOutcome> {
    const loaded = await this.#load(`refs/heads/${branch}`, sha);
    const ignore = (summary: string): TriggerOutcome => {
      this.#o.log(`${label}: ignored: ${summary}`);
      return { runIds: [], summary };
    };
    if (!loaded.ok)
      return ignore(`the ops repository at ${sha.slice(0, 12)} is invalid: ${firstErrors(loaded.errors)}`);
    const file = loaded.repo.pipelines.find((p) => p.pipeline.name === name);
    if (!file) return ignore(`pipeline ${name} is not in the repository at ${sha.slice(0, 12)}`);
    if (file.pipeline.on.poll?.branch !== branch) return ignore(`pipeline ${name} no longer polls ${branch}`);
    const author = await this.#o.checkouts.author(sha);
    const id = this.#queue(loaded.repo, file, { sha, branch, ...author, triggeredBy: 'poll' });
    this.#o.log(`${label}: ${branch} at ${sha.slice(0, 12)} queued run ${id} of ${name}`);
    return { runIds: [id], summary: `queued run ${id}` };
  }

  #queue(
    repo: OpsRepo,
    file: PipelineFile,
    c: { sha: string; branch: string; authorName?: string; authorEmail?: string; triggeredBy: string },
  ): number {
    const id = createRun(this.#o.store, {
      repo,
      pipeline: file,
      commit: { sha: c.sha, branch: c.branch, authorName: c.authorName, authorEmail: c.authorEmail },
      triggeredBy: c.triggeredBy,
      channel: 'forge',
      inventoriesRoot: this.#o.inventoriesRoot,
    });
    // serve resolves secrets from its own sources: say now which it lacks, not after an approval.
    for (const p of unresolvedSecrets(file.pipeline, selectJobs(file.pipeline)))
      this.#o.log(`run ${id}: warning: serve cannot resolve ${p}`);
    return id;
  }

  async #load(ref: string, sha: string): Promise<LoadResult> {
    let pending = this.#loaded.get(sha);
    if (!pending) {
      pending = this.#o.checkouts.at(this.#o.repoUrl, ref, sha).then((root) => this.#o.loadRepo(root));
      this.#loaded.set(sha, pending);
      pending.catch(() => this.#loaded.delete(sha));
      // Keep the last few commits only.
      if (this.#loaded.size > 8) this.#loaded.delete(this.#loaded.keys().next().value!);
    }
    return pending;
  }
}

function firstErrors(errors: ConfigError[]): string {
  return errors.slice(0, 5).map(formatConfigError).join('; ');
}
