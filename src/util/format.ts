/** A duration in milliseconds as people read it: `850ms`, `12s`, `3m 05s`, `2h 10m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** A timestamp as `2026-11-24 04:05:18` UTC: sortable and the same for every viewer. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** The 7-character abbreviation Git shows for a commit. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** How long something ran (or has been running, when it has not finished yet). */
export function elapsed(start: number | undefined, end: number | undefined, now: number): number | undefined {
  return start === undefined ? undefined : (end ?? now) - start;
}
