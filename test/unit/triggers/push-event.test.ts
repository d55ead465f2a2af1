import { describe, expect, it } from 'vitest';
import { PayloadError, parsePushEvent } from '../../../src/triggers/push-event.ts';
import { githubExample, pushPayload } from '../../support/webhook-payloads.ts';

describe('parsePushEvent', () => {
  it('normalises a real GitHub push', () => {
    const e = parsePushEvent('github', pushPayload('github', { ref: 'refs/heads/main' }));
    expect(e).toMatchObject({
      forge: 'github',
      repository: 'Codertocat/Hello-World',
      ref: 'refs/heads/main',
      refType: 'branch',
      refName: 'main',
      after: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
      deleted: false,
      pusher: 'Codertocat',
    });
    expect(e.changedPaths).toEqual(['README.md']);
  });

  it('normalises a Gitea push, author login from the head commit', () => {
    const e = parsePushEvent('gitea', pushPayload('gitea'));
    expect(e).toMatchObject({
      forge: 'gitea',
      repository: 'acme/ops',
      refType: 'branch',
      refName: 'main',
      pusher: 'alice',
      author: { login: 'alice', email: 'alice@example.com' },
      changedPaths: ['infra/sites.yml', 'pipelines/app.yml'],
    });
  });

  it('sees tag pushes and deletions (GitHub flag, Gitea zero SHA)', () => {
    const tag = parsePushEvent(
      'github',
      githubExample('push', (p) => p.created === true && p.ref === 'refs/tags/simple-tag'),
    );
    expect(tag).toMatchObject({ refType: 'tag', refName: 'simple-tag', deleted: false });
    // A new tag lists no commits: its changed paths are unknown, not empty.
    expect(tag.changedPaths).toBeUndefined();
    expect(
      parsePushEvent(
        'github',
        githubExample('push', (p) => p.deleted === true),
      ).deleted,
    ).toBe(true);
    expect(parsePushEvent('gitea', pushPayload('gitea', { after: '0'.repeat(40) })).deleted).toBe(true);
  });

  it('treats a truncated commit list as unknown paths', () => {
    const p = pushPayload('gitea');
    p.total_commits = 40;
    expect(parsePushEvent('gitea', p).changedPaths).toBeUndefined();
  });

  it('refuses what is not a push', () => {
    expect(() =>
      parsePushEvent(
        'github',
        githubExample('ping', () => true),
      ),
    ).toThrow(PayloadError);
    expect(() => parsePushEvent('gitea', null)).toThrow(PayloadError);
  });
});
