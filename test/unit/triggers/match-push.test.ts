import { describe, expect, it } from 'vitest';
import { pipeline } from '../../../src/config/schema/pipeline.ts';
import { matchesPatterns, matchPush } from '../../../src/triggers/match-push.ts';
import { parsePushEvent } from '../../../src/triggers/push-event.ts';
import { pushPayload } from '../../support/webhook-payloads.ts';

const on = (o: unknown) =>
  pipeline.parse({ name: 'web', on: o, jobs: { a: { steps: [{ run: { command: ['true'] } }] } } }).on;

describe('matchPush', () => {
  const push = (o: Parameters<typeof pushPayload>[1]) => parsePushEvent('gitea', pushPayload('gitea', o));

  it('matches branch globs and says why another branch does not', () => {
    const triggers = on({ push: { branches: ['main', 'release/*'] } });
    expect(matchPush(triggers, push({ ref: 'refs/heads/main' }))).toEqual({ matched: true });
    expect(matchPush(triggers, push({ ref: 'refs/heads/release/1.2' })).matched).toBe(true);
    expect(matchPush(triggers, push({ ref: 'refs/heads/release/1/2' })).matched).toBe(false);
    expect(matchPush(triggers, push({ ref: 'refs/heads/feature' }))).toEqual({
      matched: false,
      reason: 'branch feature matches none of main, release/*',
    });
  });

  it('keeps branches and tags apart, and takes both when unfiltered', () => {
    const tags = on({ push: { tags: ['v*'] } });
    expect(matchPush(tags, push({ ref: 'refs/tags/v1.0.0' })).matched).toBe(true);
    expect(matchPush(tags, push({ ref: 'refs/heads/main' })).matched).toBe(false);
    expect(matchPush(on({ push: { branches: ['main'] } }), push({ ref: 'refs/tags/v1.0.0' })).matched).toBe(
      false,
    );
    expect(matchPush(on({ push: {} }), push({ ref: 'refs/tags/v1.0.0' })).matched).toBe(true);
  });

  it('applies path filters, and runs when the paths are unknown', () => {
    const triggers = on({ push: { branches: ['main'], paths: ['apps/web/**', '!apps/web/README.md'] } });
    expect(matchPush(triggers, push({ paths: ['apps/web/src/index.ts'] })).matched).toBe(true);
    expect(matchPush(triggers, push({ paths: ['apps/web/README.md'] }))).toEqual({
      matched: false,
      reason: 'no changed path matches apps/web/**, !apps/web/README.md',
    });
    const unknown = { ...push({}), changedPaths: undefined };
    expect(matchPush(triggers, unknown)).toMatchObject({
      matched: true,
      note: expect.stringContaining('paths'),
    });
  });

  it('ignores pipelines without a push trigger and deleted refs', () => {
    expect(matchPush(on({ manual: true }), push({})).matched).toBe(false);
    expect(matchPush(on({ push: {} }), push({ after: '0'.repeat(40) }))).toMatchObject({ matched: false });
  });

  it('lets the last matching pattern decide', () => {
    expect(matchesPatterns('a/b.md', ['**', '!**/*.md'])).toBe(false);
    expect(matchesPatterns('a/keep.md', ['**', '!**/*.md', 'a/keep.md'])).toBe(true);
  });
});
