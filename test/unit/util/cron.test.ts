import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CronError, nextFire, parseCron } from '../../../src/util/cron.ts';

// Wall-clock times are the process's: the tests pin a zone with DST.
let tz: string | undefined;
beforeEach(() => {
  tz = process.env.TZ;
  process.env.TZ = 'Europe/Paris';
});
afterEach(() => {
  if (tz === undefined) delete process.env.TZ;
  else process.env.TZ = tz;
});

const local = (y: number, mo: number, d: number, h = 0, mi = 0) => new Date(y, mo - 1, d, h, mi);
const next = (expr: string, after: Date) => nextFire(parseCron(expr), after);
const fires = (expr: string, after: Date, n: number) => {
  const out: Date[] = [];
  let t = after;
  for (let i = 0; i < n; i++) {
    t = next(expr, t)!;
    out.push(t);
  }
  return out.map((d) => d.toISOString());
};

describe('parseCron', () => {
  it('reads lists, ranges, steps, names, 7 as Sunday and macros', () => {
    const c = parseCron('*/15 9-17/4 1,15 jan-mar mon-fri');
    expect([...c.minutes]).toEqual([0, 15, 30, 45]);
    expect([...c.hours]).toEqual([9, 13, 17]);
    expect([...c.days]).toEqual([1, 15]);
    expect([...c.months]).toEqual([1, 2, 3]);
    expect([...c.weekdays]).toEqual([1, 2, 3, 4, 5]);
    expect([...parseCron('0 0 * * 7').weekdays]).toEqual([0]);
    expect([...parseCron('5/20 * * * *').minutes]).toEqual([5, 25, 45]);
    expect(parseCron('@daily')).toMatchObject({ source: '@daily', daysRestricted: false });
  });

  it('says which field is wrong and why', () => {
    const error = (expr: string) => {
      try {
        parseCron(expr);
      } catch (err) {
        expect(err).toBeInstanceOf(CronError);
        return (err as Error).message;
      }
      return 'parsed';
    };
    expect(error('61 * * * *')).toBe('minute: 61 is out of range 0-59');
    expect(error('* 24 * * *')).toBe('hour: 24 is out of range 0-23');
    expect(error('* * * * *  *')).toBe(
      'expected 5 fields (minute hour day-of-month month day-of-week), got 6',
    );
    expect(error('0 3 * *')).toBe('expected 5 fields (minute hour day-of-month month day-of-week), got 4');
    expect(error('*/0 * * * *')).toBe('minute: step "0" must be a positive number');
    expect(error('0 0 * foo *')).toBe('month: "foo" is not a number or a name');
    expect(error('0 0 5-1 * *')).toBe('day-of-month: range 5-1 goes backwards');
    expect(error('@reboot')).toContain('"@reboot" is not a macro');
    expect(error('0 0 30 feb *')).toBe('never fires: no month of feb has day 30');
  });
});

describe('nextFire', () => {
  it('gives the next matching wall-clock minute, strictly after', () => {
    expect(next('0 3 * * *', local(2026, 1, 10, 2, 59))).toEqual(local(2026, 1, 10, 3, 0));
    expect(next('0 3 * * *', local(2026, 1, 10, 3, 0))).toEqual(local(2026, 1, 11, 3, 0));
    expect(next('*/20 * * * *', local(2026, 1, 10, 3, 41))).toEqual(local(2026, 1, 10, 4, 0));
    expect(next('@monthly', local(2026, 12, 31, 23, 59))).toEqual(local(2027, 1, 1));
    expect(next('0 0 29 feb *', local(2026, 3, 1))).toEqual(local(2028, 2, 29));
  });

  it('fires on a day matching either day field when both are restricted (Vixie cron)', () => {
    // 2026-03-01 is a Sunday; the 13th is a Friday.
    expect(fires('0 12 13 * fri', local(2026, 3, 1), 3)).toEqual(
      [local(2026, 3, 6, 12), local(2026, 3, 13, 12), local(2026, 3, 20, 12)].map((d) => d.toISOString()),
    );
  });

  it('takes a day field that starts with * (*/2 too) as unrestricted: both fields must match', () => {
    // Mondays of March 2026 are the 2nd, 9th, 16th, 23rd and 30th; */2 gives the odd days.
    expect(fires('0 12 */2 * mon', local(2026, 3, 1), 3)).toEqual(
      [local(2026, 3, 9, 12), local(2026, 3, 23, 12), local(2026, 4, 13, 12)].map((d) => d.toISOString()),
    );
  });

  it('skips a time in the spring DST gap and fires once in the repeated autumn hour', () => {
    // Paris: 2026-03-29 02:00 -> 03:00; 2026-10-25 03:00 -> 02:00.
    expect(next('30 2 * * *', local(2026, 3, 29, 1, 0))).toEqual(local(2026, 3, 30, 2, 30));
    const autumn = fires('30 2 * * *', local(2026, 10, 25, 0, 0), 2);
    expect(autumn).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    // Asked from inside the second 02:xx, the first 02:30 (an hour earlier in real time) is not repeated.
    expect(next('30 2 * * *', new Date('2026-10-25T01:10:00Z'))).toEqual(local(2026, 10, 26, 2, 30));
  });
});
