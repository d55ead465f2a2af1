import { matchesGlob } from 'node:path';
import type { Pipeline } from '../config/schema/pipeline.ts';
import type { PushEvent } from './push-event.ts';

/** Whether a push starts a pipeline; when not, why (for the log), when yes, anything worth noting. */
export type PushMatch = { matched: true; note?: string } | { matched: false; reason: string };

/**
 * Matches a push against a pipeline's `on.push`, with GitHub Actions' rules: without branch and tag
 * filters every branch and tag counts; with only one kind, the other kind never does; `paths` needs one
 * changed path to match. Patterns are globs (`*` stays inside a path segment, `**` crosses them) and a
 * leading `!` excludes; the last pattern that matches decides.
 */
export function matchPush(on: Pipeline['on'], push: PushEvent): PushMatch {
  const filter = on.push;
  if (!filter) return { matched: false, reason: 'the pipeline has no push trigger' };
  if (push.deleted) return { matched: false, reason: `${push.ref} was deleted` };
  if (push.refType === 'other')
    return { matched: false, reason: `${push.ref} is neither a branch nor a tag` };

  const unfiltered = filter.branches.length === 0 && filter.tags.length === 0;
  if (!unfiltered) {
    const patterns = push.refType === 'branch' ? filter.branches : filter.tags;
    if (patterns.length === 0) {
      return {
        matched: false,
        reason: `${push.refType} pushes do not trigger it (only ${push.refType === 'branch' ? 'tags' : 'branches'})`,
      };
    }
    if (!matchesPatterns(push.refName, patterns)) {
      return {
        matched: false,
        reason: `${push.refType} ${push.refName} matches none of ${patterns.join(', ')}`,
      };
    }
  }

  if (filter.paths.length > 0) {
    if (push.changedPaths === undefined) {
      return { matched: true, note: 'the push does not list its changed paths: path filters not applied' };
    }
    if (!push.changedPaths.some((p) => matchesPatterns(p, filter.paths))) {
      return { matched: false, reason: `no changed path matches ${filter.paths.join(', ')}` };
    }
  }
  return { matched: true };
}

/** Whether `value` is included by an ordered list of globs where `!glob` excludes. */
export function matchesPatterns(value: string, patterns: readonly string[]): boolean {
  let included = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (matchesGlob(value, negated ? pattern.slice(1) : pattern)) included = !negated;
  }
  return included;
}
