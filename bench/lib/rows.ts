import { printTable } from './print-table.ts';

/** One measured case of a bench, beside the baseline measured in the same invocation. */
export interface BenchRow {
  bench: string;
  case: string;
  value: number;
  unit: string;
  baseline?: number;
  /** value / baseline, or a ratio the case defines itself (say so in `case`). */
  ratio?: number;
  /** The target, as text (`<= 1.10`), or undefined when the row only reports. */
  target?: string;
  ok?: boolean;
}

/** Prints the rows as a table, or one JSON object per line with `--json` (for scripts that check targets). */
export function emitRows(title: string, rows: BenchRow[]): void {
  if (process.argv.includes('--json')) {
    for (const r of rows) console.log(JSON.stringify(r));
    return;
  }
  const fixed = (n: number | undefined, digits: number) => (n === undefined ? '' : n.toFixed(digits));
  printTable(
    title,
    ['case', 'value', 'unit', 'baseline', 'ratio', 'target', 'ok'],
    rows.map((r) => [
      r.case,
      fixed(r.value, r.value < 10 ? 2 : 0),
      r.unit,
      fixed(r.baseline, r.baseline !== undefined && r.baseline < 10 ? 2 : 0),
      fixed(r.ratio, 2),
      r.target ?? '',
      r.ok === undefined ? '' : r.ok ? 'yes' : 'NO',
    ]),
  );
}
