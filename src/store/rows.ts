/** A row as node:sqlite returns it. */
export type Row = Record<string, unknown>;

/** SQL NULL as undefined, so optional fields stay absent instead of null. */
export function opt<T>(value: unknown): T | undefined {
  return value === null || value === undefined ? undefined : (value as T);
}
