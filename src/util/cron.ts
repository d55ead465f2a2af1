/**
 * Cron expressions as Vixie cron reads them: five fields (minute hour day-of-month month day-of-week)
 * with `*`, lists, ranges, steps and names (jan-dec, sun-sat, 7 is Sunday too), or a macro. When both
 * day fields are restricted, a day matching either one fires (as in Vixie cron). Times are wall-clock
 * times of the process's time zone.
 */
export interface Cron {
  source: string;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  weekdays: ReadonlySet<number>;
  /** Whether the field was anything but `*` (the Vixie rule for the two day fields). */
  daysRestricted: boolean;
  weekdaysRestricted: boolean;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The first name's number (months start at 1, weekdays at 0). */
  nameBase?: number;
}

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: 'day-of-week', min: 0, max: 7, names: WEEKDAYS, nameBase: 0 },
];

/** An expression that cannot be read; the message says which field and why. */
export class CronError extends Error {}

function value(text: string, f: Field): number {
  const named = f.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + f.nameBase!;
  if (!/^\d+$/.test(text))
    throw new CronError(`${f.name}: ${JSON.stringify(text)} is not a number${f.names ? ' or a name' : ''}`);
  const n = Number(text);
  if (n < f.min || n > f.max) throw new CronError(`${f.name}: ${n} is out of range ${f.min}-${f.max}`);
  return n;
}

function parseField(text: string, f: Field): Set<number> {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^([^/]+)(?:\/(.+))?$/.exec(item);
    if (!m) throw new CronError(`${f.name}: ${JSON.stringify(item)} is not a value, range or step`);
    const [, range, stepText] = m;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1)
      throw new CronError(`${f.name}: step ${JSON.stringify(stepText)} must be a positive number`);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [f.min, f.max];
    else if (range!.includes('-')) {
      const [a, b, ...rest] = range!.split('-');
      if (rest.length) throw new CronError(`${f.name}: ${JSON.stringify(range)} is not a range like 1-5`);
      [lo, hi] = [value(a!, f), value(b!, f)];
      if (lo > hi) throw new CronError(`${f.name}: range ${range} goes backwards`);
    } else [lo, hi] = [value(range!, f), stepText === undefined ? value(range!, f) : f.max];
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Parses an expression; throws CronError saying what is wrong (field, value, range). */
export function parseCron(source: string): Cron {
  const text = source.trim();
  const expanded = text.startsWith('@') ? MACROS[text.toLowerCase()] : text;
  if (expanded === undefined)
    throw new CronError(`${JSON.stringify(text)} is not a macro (${Object.keys(MACROS).join(', ')})`);
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5)
    throw new CronError(
      `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`,
    );
  const [minutes, hours, days, months, weekdays] = parts.map((p, i) => parseField(p, FIELDS[i]!));
  // 7 is Sunday too.
  if (weekdays!.delete(7)) weekdays!.add(0);
  const cron: Cron = {
    source: text,
    minutes: minutes!,
    hours: hours!,
    days: days!,
    months: months!,
    weekdays: weekdays!,
    // As in Vixie cron, a field that starts with `*` (`*/2` included) does not restrict the day.
    daysRestricted: !parts[2]!.startsWith('*'),
    weekdaysRestricted: !parts[4]!.startsWith('*'),
  };
  if (cron.daysRestricted && !cron.weekdaysRestricted) {
    const fits = [...cron.months].some((m) => [...cron.days].some((d) => d <= DAYS_IN_MONTH[m - 1]!));
    if (!fits) throw new CronError(`never fires: no month of ${parts[3]} has day ${parts[2]}`);
  }
  return cron;
}

function dayMatches(c: Cron, w: Date): boolean {
  const dom = c.days.has(w.getUTCDate());
  const dow = c.weekdays.has(w.getUTCDay());
  if (c.daysRestricted && c.weekdaysRestricted) return dom || dow;
  return dom && dow;
}

/** How far ahead `nextFire` looks before it gives up (Feb 29 on a given weekday is the rarest case). */
const HORIZON_MS = 8 * 366 * 86_400_000;

/** The local time of wall-clock fields held as a UTC date; undefined in a DST gap (no such local time). */
function localOf(w: Date): Date | undefined {
  const t = new Date(w.getUTCFullYear(), w.getUTCMonth(), w.getUTCDate(), w.getUTCHours(), w.getUTCMinutes());
  return t.getHours() === w.getUTCHours() && t.getMinutes() === w.getUTCMinutes() ? t : undefined;
}

/**
 * The first wall-clock minute after `after` that the expression matches, in the process's time zone;
 * undefined when none comes within eight years. The search steps through wall-clock fields (held as UTC,
 * which has no DST): a time in a DST gap is skipped, a time in a repeated hour fires once.
 */
export function nextFire(c: Cron, after: Date): Date | undefined {
  const U = Date.UTC;
  const start = U(
    after.getFullYear(),
    after.getMonth(),
    after.getDate(),
    after.getHours(),
    after.getMinutes() + 1,
  );
  let w = new Date(start);
  while (w.getTime() - start <= HORIZON_MS) {
    const [y, mo, d, h, mi] = [
      w.getUTCFullYear(),
      w.getUTCMonth(),
      w.getUTCDate(),
      w.getUTCHours(),
      w.getUTCMinutes(),
    ];
    if (!c.months.has(mo + 1)) w = new Date(U(y, mo + 1, 1));
    else if (!dayMatches(c, w)) w = new Date(U(y, mo, d + 1));
    else if (!c.hours.has(h)) w = new Date(U(y, mo, d, h + 1));
    else if (!c.minutes.has(mi)) w = new Date(U(y, mo, d, h, mi + 1));
    else {
      const local = localOf(w);
      if (local && local.getTime() > after.getTime()) return local;
      w = new Date(U(y, mo, d, h, mi + 1));
    }
  }
  return undefined;
}

/** The time zone wall-clock times are read in: the process's (TZ, else the system's). */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
