import { describe, expect, it } from 'vitest';
import { type AnsibleEvent, hostOutcomes, parseEventLine } from '../../../src/ansible/events.ts';
import { exitCodeMeaning } from '../../../src/ansible/exit-codes.ts';
import { playbookArgs } from '../../../src/ansible/runner.ts';

function hostEvent(event: string, host: string, extra: Record<string, unknown> = {}): AnsibleEvent {
  return parseEventLine(
    JSON.stringify({
      event,
      host,
      task: 't',
      action: 'copy',
      uuid: 'u',
      changed: false,
      result: {},
      diff: [],
      ...extra,
    }),
  );
}

describe('parseEventLine', () => {
  it('parses the callback lines into typed events', () => {
    const e = parseEventLine(
      '{"action": "copy", "changed": true, "diff": [{"after": "x\\n", "before": ""}], "event": "host_ok", "host": "h1", "result": {"changed": true, "dest": "/tmp/f"}, "task": "the file", "uuid": "abc"}',
    );
    expect(e).toEqual({
      event: 'host_ok',
      host: 'h1',
      task: 'the file',
      action: 'copy',
      uuid: 'abc',
      changed: true,
      result: { changed: true, dest: '/tmp/f' },
      diff: [{ after: 'x\n', before: '' }],
    });
    const stats = parseEventLine(
      '{"event":"stats","processed":["h1","h3"],"ok":{"h1":1},"changed":{},"failures":{},"dark":{"h3":1},"skipped":{},"rescued":{},"ignored":{}}',
    );
    expect(stats.event === 'stats' && stats.dark).toEqual({ h3: 1 });
  });

  it('rejects lines that are not events', () => {
    expect(() => parseEventLine('not json')).toThrow(/not JSON/);
    expect(() => parseEventLine('{"event":"changed","host":"h1"}')).toThrow(/unknown ansible event/);
  });
});

describe('hostOutcomes', () => {
  it('takes the worst outcome per host; changed comes from result.changed; ignored failures do not fail', () => {
    const events = [
      hostEvent('host_ok', 'a'),
      hostEvent('host_ok', 'a', { changed: true }),
      hostEvent('host_ok', 'b'),
      hostEvent('host_failed', 'b', { ignore_errors: false }),
      hostEvent('host_ok', 'b'),
      hostEvent('host_unreachable', 'c'),
      hostEvent('host_skipped', 'd'),
      hostEvent('host_failed', 'e', { ignore_errors: true }),
    ];
    expect(hostOutcomes(events)).toEqual({
      a: 'changed',
      b: 'failed',
      c: 'unreachable',
      d: 'skipped',
      e: 'ok',
    });
  });
});

describe('exit codes (ansible-core 2.14)', () => {
  it('maps each code', () => {
    expect(exitCodeMeaning(0)).toBe('ok');
    expect(exitCodeMeaning(2)).toMatch(/hosts failed/);
    expect(exitCodeMeaning(4)).toMatch(/unreachable, or a parse error/);
    expect(exitCodeMeaning(8)).toMatch(/aborted/);
    expect(exitCodeMeaning(99)).toBe('interrupted');
    for (const rc of [1, 5, 6, 250]) expect(exitCodeMeaning(rc)).toMatch(/error|options|exception/);
    expect(exitCodeMeaning(137)).toBe('killed by signal 9');
  });
});

describe('playbookArgs', () => {
  it('builds the ansible-playbook argv', () => {
    expect(
      playbookArgs(
        {
          playbook: 'roles/site.yml',
          inventory: ['inventories/dev'],
          check: true,
          diff: true,
          limit: ['web1', 'web2'],
          tags: ['keys'],
          forks: 4,
          knownHosts: [],
        },
        '/d/env/extravars',
      ),
    ).toEqual([
      '-i',
      'inventories/dev',
      '--check',
      '--diff',
      '--limit',
      'web1,web2',
      '--tags',
      'keys',
      '--forks',
      '4',
      '--extra-vars',
      '@/d/env/extravars',
      'roles/site.yml',
    ]);
  });
});
