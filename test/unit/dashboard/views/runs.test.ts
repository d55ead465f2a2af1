import { describe, expect, it } from 'vitest';
import { runsPage } from '../../../../src/dashboard/views/runs.ts';

const viewer = { login: 'alice', csrf: 'tok123' };

describe('runs page', () => {
  it('runs page links each run, marks status, and offers older runs', () => {
    const out = runsPage({
      viewer,
      runs: [
        {
          id: '2',
          pipeline: 'web',
          sha: '1234567890',
          branch: 'main',
          triggeredBy: 'alice',
          rollbackTo: '20261201-100000-aaaaaaa',
          rerunOf: '1',
          status: 'running',
          createdAt: 0,
          startedAt: 0,
        },
        {
          id: '1',
          pipeline: 'web',
          sha: 'abcdef0000',
          branch: 'main',
          triggeredBy: '<x>',
          status: 'failed',
          createdAt: 0,
          startedAt: 0,
          finishedAt: 90_000,
        },
      ],
      filter: { status: 'failed' },
      pipelines: ['web'],
      next: '/?before=1',
      now: 30_000,
    }).text;
    expect(out).toContain('<a href="/runs/2">2</a>');
    expect(out).toContain('<span class="rollback">rollback to 20261201-100000-aaaaaaa</span>');
    expect(out).toContain('<span class="rerun">re-run of 1</span>');
    expect(out.match(/class="rollback"/g)).toHaveLength(1);
    expect(out).toContain('<code>1234567</code>');
    expect(out).toContain('&lt;x&gt;');
    expect(out).toContain('<option value="failed" selected>');
    expect(out).toContain('1m 30s');
    expect(out).toContain('href="/?before=1"');
  });
});
