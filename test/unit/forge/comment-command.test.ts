import { describe, expect, it } from 'vitest';
import { parseCommentCommand } from '../../../src/forge/comment-command.ts';

describe('parseCommentCommand', () => {
  it('reads /approve with or without a note', () => {
    expect(parseCommentCommand('/approve')).toEqual({ kind: 'approve' });
    expect(parseCommentCommand('\n  /approve ship it\nthanks')).toEqual({ kind: 'approve', note: 'ship it' });
    expect(parseCommentCommand('/APPROVE')).toEqual({ kind: 'approve' });
  });

  it('reads /reject with its reason and refuses one without', () => {
    expect(parseCommentCommand('/reject wrong digest')).toEqual({ kind: 'reject', reason: 'wrong digest' });
    expect(parseCommentCommand('/reject   ')).toEqual({
      kind: 'invalid',
      message: expect.stringContaining('reason'),
    });
  });

  it('ignores discussion, quotes and look-alike words', () => {
    expect(parseCommentCommand('LGTM, please /approve')).toBeUndefined();
    expect(parseCommentCommand('> /approve')).toBeUndefined();
    expect(parseCommentCommand('/approved')).toBeUndefined();
    expect(parseCommentCommand('')).toBeUndefined();
  });
});
