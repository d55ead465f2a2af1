import type { Forge, RepoId } from '../forge/types.ts';
import type { ForgeLinks } from '../store/forge-links.ts';
import { errorMessage } from '../util/errors.ts';
import type { CommentDecider } from './forge-comments.ts';
import type { Service } from './server.ts';

/** What the comment poller needs. */
export interface ForgeCommentPollerOptions {
  links: ForgeLinks;
  forge: Forge;
  repo: RepoId;
  decide: CommentDecider;
  intervalMs: number;
  log(line: string): void;
}

/**
 * The approval channel for forges that cannot reach the runner: every interval the comments of each open
 * approval issue are read and each new one judged like a webhook's. A comment whose update time differs
 * from its creation time was edited before it was seen, and is refused as such.
 */
export class ForgeCommentPoller implements Service {
  readonly name = 'comment poller';
  readonly #o: ForgeCommentPollerOptions;
  #timer?: NodeJS.Timeout;
  #running?: Promise<void>;

  constructor(options: ForgeCommentPollerOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer = setInterval(() => void this.pollOnce(), this.#o.intervalMs);
  }

  /** Reads every open approval issue once (unless a poll is under way) and judges new comments. */
  pollOnce(): Promise<void> {
    this.#running ??= this.#poll().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  async #poll(): Promise<void> {
    for (const issue of this.#o.links.openIssues()) {
      try {
        for (const c of await this.#o.forge.listIssueComments(this.#o.repo, issue.number)) {
          const action = c.updatedAt === c.createdAt ? 'created' : 'edited';
          // An edited comment is refused once; the decider marks created ones itself.
          if (action === 'edited' && !this.#o.links.markCommentJudged(c.id)) continue;
          await this.#o.decide(
            { issue: issue.number, commentId: c.id, login: c.login, body: c.body, action },
            `poll #${issue.number} comment ${c.id}`,
          );
        }
      } catch (err) {
        this.#o.log(`poll #${issue.number}: ${errorMessage(err)}`);
      }
    }
  }
}
