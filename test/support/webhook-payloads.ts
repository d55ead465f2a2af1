import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ForgeKind } from '../../src/forge/types.ts';

// Real payloads: GitHub's from @octokit/webhooks-examples, Gitea's from a fixture in its documented shape.
// Tests change only what a scenario needs (ref, SHAs, clone URL, paths, comment) on a deep copy.

interface ExampleSet {
  name: string;
  examples: Record<string, unknown>[];
}
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as ExampleSet[];
const giteaPushFixture = readFileSync(new URL('../fixtures/gitea/push.json', import.meta.url), 'utf8');

/** A deep copy of a GitHub example payload of event `name` picked by `pick`. */
export function githubExample(
  name: string,
  pick: (e: Record<string, unknown>) => boolean,
): Record<string, unknown> {
  const found = examples.find((s) => s.name === name)?.examples.find(pick);
  if (!found) throw new Error(`no ${name} example matches`);
  return structuredClone(found);
}

/** What a test push changes in a real payload. */
export interface PushOverrides {
  ref?: string;
  after?: string;
  cloneUrl?: string;
  paths?: string[];
  authorLogin?: string;
}

/** A JSON payload, edited freely by tests. */
// biome-ignore lint/suspicious/noExplicitAny: payloads are deep JSON that tests reach into
export type Payload = Record<string, any>;

/** A push payload as `forge` sends it, from the real example with `o` applied. */
export function pushPayload(forge: ForgeKind, o: PushOverrides = {}): Payload {
  const p: Payload =
    forge === 'github'
      ? githubExample(
          'push',
          (e) => (e.ref as string).startsWith('refs/heads/') && (e.commits as unknown[]).length > 0,
        )
      : JSON.parse(giteaPushFixture);
  if (o.ref) p.ref = o.ref;
  if (o.cloneUrl) p.repository.clone_url = o.cloneUrl;
  const commit = p.commits.at(-1);
  if (o.after) {
    p.after = o.after;
    commit.id = o.after;
    if (p.head_commit) p.head_commit.id = o.after;
  }
  if (o.paths) {
    commit.added = o.paths;
    commit.removed = [];
    commit.modified = [];
  }
  if (o.authorLogin) commit.author.username = o.authorLogin;
  if (p.head_commit) p.head_commit = structuredClone(commit);
  return p;
}

const giteaCommentFixture = readFileSync(
  new URL('../fixtures/gitea/issue_comment.json', import.meta.url),
  'utf8',
);

let nextCommentId = 900_000;

/**
 * An issue_comment payload as `forge` sends it: `action` on issue `issue` of `repository` by `login`; each
 * call is a new comment (its own id) unless `id` names an earlier one (an edit or deletion of it).
 */
export function commentPayload(
  forge: ForgeKind,
  o: {
    action: 'created' | 'edited' | 'deleted';
    repository: string;
    issue: number;
    login: string;
    body: string;
    id?: number;
  },
): Payload {
  const p: Payload =
    forge === 'github'
      ? githubExample('issue_comment', (e) => e.action === o.action)
      : JSON.parse(giteaCommentFixture);
  p.action = o.action;
  if (o.action === 'edited') p.changes ??= { body: { from: 'typo' } };
  p.repository.full_name = o.repository;
  p.issue.number = o.issue;
  p.comment.body = o.body;
  p.comment.id = o.id ?? ++nextCommentId;
  p.comment.user.login = o.login;
  p.sender.login = o.login;
  return p;
}
