import { describe, expect, it } from 'vitest';
import { RefusalThrottle } from '../../../src/dashboard/refusal-throttle.ts';

describe('anonymous refusal throttle', () => {
  it('records the first refusals of a window, counts the rest, and reports the count with the next recorded one', () => {
    const t = new RefusalThrottle(2, 1000);
    expect(t.admit(0)).toEqual({ unrecorded: 0 });
    expect(t.admit(10)).toEqual({ unrecorded: 0 });
    expect(t.admit(20)).toBeUndefined();
    expect(t.admit(30)).toBeUndefined();
    expect(t.admit(1000)).toEqual({ unrecorded: 2 });
    expect(t.admit(1001)).toEqual({ unrecorded: 0 });
  });
});
