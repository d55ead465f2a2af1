import type { ForgeKind } from '../forge/types.ts';

const ZERO_SHA = /^0+$/;

/** A push, the same whichever forge sent it. */
export interface PushEvent {
  forge: ForgeKind;
  /** `owner/name`. */
  repository: string;
  /** Full ref, e.g. `refs/heads/main` or `refs/tags/v1.2.0`. */
  ref: string;
  refType: 'branch' | 'tag' | 'other';
  /** Branch or tag name without the `refs/...` prefix. */
  refName: string;
  before: string;
  after: string;
  /** The ref was deleted: there is nothing to run. */
  deleted: boolean;
  /** Every path added, removed or modified by the pushed commits; undefined when the payload cannot tell. */
  changedPaths?: string[];
  /** Who pushed (forge login). */
  pusher: string;
  /** Author of the head commit: forge login when known, else the name. */
  author?: { login?: string; name?: string; email?: string };
}

interface PayloadCommit {
  id?: string;
  added?: string[];
  removed?: string[];
  modified?: string[];
  author?: { name?: string; email?: string; username?: string | null };
}

interface PushPayload {
  ref?: unknown;
  before?: unknown;
  after?: unknown;
  created?: boolean;
  deleted?: boolean;
  commits?: PayloadCommit[];
  total_commits?: number;
  head_commit?: PayloadCommit | null;
  repository?: { full_name?: string };
  pusher?: { name?: string; login?: string; username?: string };
  sender?: { login?: string };
}

/** Thrown when a payload is not a push this code understands; the message says what is missing. */
export class PayloadError extends Error {}

/** Normalises a GitHub or Gitea/Forgejo push payload (their shapes differ in pusher, totals and deletion). */
export function parsePushEvent(forge: ForgeKind, body: unknown): PushEvent {
  const p = body as PushPayload;
  if (typeof p !== 'object' || p === null) throw new PayloadError('push payload is not a JSON object');
  if (typeof p.ref !== 'string' || typeof p.after !== 'string' || typeof p.before !== 'string') {
    throw new PayloadError('push payload lacks ref, before or after');
  }
  if (!p.repository?.full_name) throw new PayloadError('push payload lacks repository.full_name');
  const { refType, refName } = splitRef(p.ref);
  const commits = p.commits ?? [];
  // GitHub caps `commits` at 2048 and Gitea at its feed limit (total_commits says how many there were);
  // a new ref whose commits were pushed before lists none. Then the changed paths are unknown.
  const complete =
    commits.length > 0 &&
    commits.length < 2048 &&
    (p.total_commits === undefined || p.total_commits <= commits.length);
  const head = p.head_commit ?? commits.at(-1);
  return {
    forge,
    repository: p.repository.full_name,
    ref: p.ref,
    refType,
    refName,
    before: p.before,
    after: p.after,
    // Gitea has no `deleted` flag: a deleted ref is pushed to the zero SHA.
    deleted: p.deleted === true || ZERO_SHA.test(p.after),
    ...(complete ? { changedPaths: changedPaths(commits) } : {}),
    pusher: p.pusher?.login ?? p.pusher?.username ?? p.sender?.login ?? p.pusher?.name ?? 'unknown',
    ...(head?.author
      ? {
          author: {
            ...(head.author.username ? { login: head.author.username } : {}),
            ...(head.author.name ? { name: head.author.name } : {}),
            ...(head.author.email ? { email: head.author.email } : {}),
          },
        }
      : {}),
  };
}

function splitRef(ref: string): { refType: PushEvent['refType']; refName: string } {
  if (ref.startsWith('refs/heads/')) return { refType: 'branch', refName: ref.slice('refs/heads/'.length) };
  if (ref.startsWith('refs/tags/')) return { refType: 'tag', refName: ref.slice('refs/tags/'.length) };
  return { refType: 'other', refName: ref };
}

function changedPaths(commits: PayloadCommit[]): string[] {
  const paths = new Set<string>();
  for (const c of commits)
    for (const p of [...(c.added ?? []), ...(c.removed ?? []), ...(c.modified ?? [])]) paths.add(p);
  return [...paths].sort();
}
