import { describe, expect, it } from 'vitest';
import { UndoStack } from '../../../src/deploy/undo-stack.ts';

describe('UndoStack', () => {
  it('runs the undos newest first, each with the failure being rolled back', async () => {
    const undo = new UndoStack();
    const ran: string[] = [];
    const cause = new Error('health check failed');
    for (const what of ['remove the release directory', 'stop the project', 'restore upstreams']) {
      undo.push(what, async (c) => {
        expect(c).toBe(cause);
        ran.push(what);
      });
    }
    expect(undo.size).toBe(3);
    expect(await undo.unwind(cause, () => {})).toBe(true);
    expect(ran).toEqual(['restore upstreams', 'stop the project', 'remove the release directory']);
    expect(undo.size).toBe(0);
  });

  it('keeps going after an undo fails, logs what could not be undone and reports the rollback incomplete', async () => {
    const undo = new UndoStack();
    const ran: string[] = [];
    const log: string[] = [];
    undo.push('remove /srv/app/releases/r2', async () => ran.push('rm'));
    undo.push('restore upstreams', async () => {
      throw new Error('connection refused');
    });
    undo.push('restore the current link', async () => ran.push('link'));
    expect(await undo.unwind(new Error('x'), (l) => log.push(l))).toBe(false);
    expect(ran).toEqual(['link', 'rm']);
    expect(log).toEqual(['rollback: could not restore upstreams: connection refused']);
  });

  it('runs each undo once: a second unwind finds nothing left', async () => {
    const undo = new UndoStack();
    let n = 0;
    undo.push('count', async () => n++);
    await undo.unwind(new Error('x'), () => {});
    expect(await undo.unwind(new Error('y'), () => {})).toBe(true);
    expect(n).toBe(1);
  });
});
