import { describe, expect, it } from 'vitest';
import { BodyBudget } from '../../../src/server/body-budget.ts';

describe('BodyBudget', () => {
  it('admits while bodies and bytes fit, first come first served, and refuses past the queue or the wait', async () => {
    const budget = new BodyBudget({ bodies: 2, bytes: 100, waiting: 2, waitMs: 200 });
    const a = (await budget.admit(60))!;
    const b = (await budget.admit(40))!;
    expect(a).toBeTypeOf('function');
    expect(b).toBeTypeOf('function');
    // Full: the next two wait in order, a third finds the queue full.
    const order: string[] = [];
    const admitted = (name: string) => (release: (() => void) | undefined) => {
      order.push(name);
      return release;
    };
    const big = budget.admit(90).then(admitted('big'));
    const small = budget.admit(10).then(admitted('small'));
    expect(await budget.admit(1)).toBeUndefined();
    b();
    // 40 bytes free: not enough for the head (90), and the small one behind it does not jump the queue.
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual([]);
    a();
    const [releaseBig, releaseSmall] = (await Promise.all([big, small])) as [() => void, () => void];
    expect(order).toEqual(['big', 'small']);
    // Both places taken: a newcomer waits its 200 ms and is refused; releasing twice frees once.
    const late = budget.admit(1);
    expect(await late).toBeUndefined();
    releaseBig();
    releaseBig();
    releaseSmall();
    const sizes = await Promise.all([budget.admit(100), budget.admit(1000)]);
    expect(sizes[0]).toBeTypeOf('function');
    // A body larger than the whole budget reserves all of it: it waits while anything else is read.
    expect(sizes[1]).toBeUndefined();
  });
});
