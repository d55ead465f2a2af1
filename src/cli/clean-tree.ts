import { posix } from 'node:path';
import { execa } from 'execa';
import type { Pipeline } from '../config/schema/pipeline.ts';
import { kindOf, stepOptions } from '../steps/kinds/index.ts';

/** Folders and files every run reads besides the paths its steps name. */
const OPS_PATHS = [
  'slipway.yml',
  'pipelines',
  'inventories',
  'infra',
  'roles',
  'apps',
  'group_vars',
  'host_vars',
];

/** Slipway's own state (store, sandbox, checkouts) is written into the repository by Slipway itself. */
const OWN_STATE = '.slipway/';

/** What makes a working tree differ from the commit it would be recorded as. */
export interface DirtyTree {
  /** Tracked files changed, staged or deleted (anywhere in the repository). */
  changed: string[];
  /** Untracked files in what the run reads. */
  untracked: string[];
}

/** The paths a pipeline's steps read, relative to the repository root (`.` when a step reads all of it). */
export function pathsRead(pipeline: Pipeline): string[] {
  const paths = new Set(OPS_PATHS);
  // Every kind declares the repository files it reads: the same list validation checks.
  for (const job of Object.values(pipeline.jobs)) {
    for (const step of job.steps) {
      for (const file of Object.values(kindOf(step).files(stepOptions(step)))) {
        if (file === undefined) continue;
        paths.add(typeof file === 'string' ? file : file.path);
        // A playbook reads its templates, files and vars from its own folder (the root's are listed above).
        if (typeof file === 'object' && 'is' in file && file.is === 'file') {
          const folder = posix.dirname(file.path);
          if (folder !== '.') paths.add(folder);
        }
      }
    }
  }
  return [...paths].map((p) => posix.normalize(p).replace(/\/$/, ''));
}

/** How the working tree in `dir` differs from HEAD, limited for untracked files to `read` paths. */
export async function dirtyTree(dir: string, read: readonly string[]): Promise<DirtyTree> {
  const status = await execa('git', ['status', '--porcelain=v1', '-z', '--untracked-files=all'], {
    cwd: dir,
    reject: false,
  });
  if (status.exitCode !== 0)
    throw new DirtyTreeError(
      `${dir} is not a Git checkout (git status: ${status.stderr.trim()}), so nothing shows it holds the commit a run would record: run from a clone of the ops repository`,
    );
  const { stdout } = status;
  const entries = stdout.split('\0');
  const changed: string[] = [];
  const untracked: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.length < 4) continue;
    const status = entry.slice(0, 2);
    const path = entry.slice(3);
    // A rename or copy is followed by its source path, which is part of the same change.
    if (status[0] === 'R' || status[0] === 'C') i++;
    if (status === '??') {
      if (
        !path.startsWith(OWN_STATE) &&
        read.some((p) => p === '.' || path === p || path.startsWith(`${p}/`))
      )
        untracked.push(path);
    } else changed.push(path);
  }
  return { changed, untracked };
}

/** The refusal for a dirty tree, or undefined when the tree is what HEAD holds. */
export function dirtyMessage(d: DirtyTree, action: string): string | undefined {
  if (d.changed.length === 0 && d.untracked.length === 0) return undefined;
  const list = (label: string, paths: string[]) =>
    paths.length
      ? [
          `  ${label}:`,
          ...paths.slice(0, 10).map((p) => `    ${p}`),
          ...(paths.length > 10 ? [`    ... and ${paths.length - 10} more`] : []),
        ]
      : [];
  return [
    `the working tree differs from HEAD, so ${action} would not be what the commit holds (an approval binds a commit):`,
    ...list('changed (tracked)', d.changed),
    ...list('untracked in what the run reads', d.untracked),
    'commit them (git commit) or set them aside (git stash --include-untracked), then try again',
  ].join('\n');
}

/** Throws the refusal when the working tree in `dir` is not what HEAD holds for this pipeline. */
export async function requireCleanTree(dir: string, pipeline: Pipeline, action: string): Promise<void> {
  const message = dirtyMessage(await dirtyTree(dir, pathsRead(pipeline)), action);
  if (message) throw new DirtyTreeError(message);
}

/** The working tree holds edits no commit holds. */
export class DirtyTreeError extends Error {}
