// What a sync changes on one host: the files of the live release against the files to ship, and which kept
// releases fall out of `keep`. Pure, so the plan shown at the gate and the apply compute the same thing.
import type { ManifestFile } from './manifest.ts';

/** Files by path, as in a manifest. */
type Files = Readonly<Record<string, ManifestFile>>;

/** Paths added, changed (content or mode) and removed, each sorted. */
export interface FileDiff {
  added: string[];
  changed: string[];
  removed: string[];
}

/** The difference from `live` (undefined: nothing live) to `wanted`. */
export function diffFiles(live: Files | undefined, wanted: Files): FileDiff {
  const before = live ?? {};
  const paths = Object.keys(wanted).sort();
  return {
    added: paths.filter((p) => !(p in before)),
    changed: paths.filter((p) => {
      const b = before[p];
      return b !== undefined && (b.sha256 !== wanted[p]!.sha256 || b.mode !== wanted[p]!.mode);
    }),
    removed: Object.keys(before)
      .filter((p) => !(p in wanted))
      .sort(),
  };
}

/** `N added, N changed, N removed`, leaving out zeros; `no file changes` when all are. */
export function diffSummary(d: FileDiff): string {
  const parts = [
    d.added.length ? `${d.added.length} added` : '',
    d.changed.length ? `${d.changed.length} changed` : '',
    d.removed.length ? `${d.removed.length} removed` : '',
  ].filter(Boolean);
  return parts.join(', ') || 'no file changes';
}

/** One line per file: `+ path sha256` added, `~ path sha256` changed, `- path` removed. */
export function diffDetail(d: FileDiff, wanted: Files): string {
  const mode = (p: string) => (wanted[p]!.mode === 0o755 ? ' (executable)' : '');
  return [
    ...d.added.map((p) => `+ ${p} ${wanted[p]!.sha256}${mode(p)}`),
    ...d.changed.map((p) => `~ ${p} ${wanted[p]!.sha256}${mode(p)}`),
    ...d.removed.map((p) => `- ${p}`),
  ].join('\n');
}

/**
 * Release ids to remove once `live` is the live release: every one past the newest `keep`, counting `live`
 * first. `releases` are the host's, newest first.
 */
export function releasesToPrune(releases: readonly string[], live: string, keep: number): string[] {
  const ordered = [live, ...releases.filter((r) => r !== live)];
  return ordered.slice(keep);
}
