// What a host holds of one synced directory: the live release's manifest and the kept release ids.
import type { SyncPaths } from '../core/sync-layout.ts';
import { execOk, type Transport } from '../remote/transport.ts';
import { readSyncState } from './commands.ts';
import type { ManifestFile } from './manifest.ts';

/** A release directory name: the content id of its manifest. */
const RELEASE_ID = /^[0-9a-f]{20}$/;

/** The live release (undefined when none) and every kept release id, newest first. */
export interface HostSyncState {
  live?: { id: string; files: Record<string, ManifestFile> };
  releases: string[];
}

/** Reads a host's sync state in one command. */
export async function readHostState(
  t: Transport,
  paths: SyncPaths,
  signal?: AbortSignal,
): Promise<HostSyncState> {
  const { stdout } = await execOk(t, readSyncState(paths.root), { signal });
  return parseHostState(t.host, stdout);
}

/** Parses what {@link readSyncState} printed; throws naming the host when the live manifest is not one. */
export function parseHostState(host: string, stdout: string): HostSyncState {
  const [first = '', ...rest] = stdout.split('\n');
  const releases = rest.filter((l) => RELEASE_ID.test(l));
  if (first.trim() === '') return { releases };
  let live: unknown;
  try {
    live = JSON.parse(first);
  } catch {
    throw new Error(
      `${host}: expected the live release's manifest.json to be JSON, got ${first.slice(0, 80)}`,
    );
  }
  const m = live as { id?: unknown; files?: unknown };
  if (typeof m.id !== 'string' || !RELEASE_ID.test(m.id) || typeof m.files !== 'object' || m.files === null)
    throw new Error(`${host}: expected the live release's manifest.json to hold an id and files`);
  return { live: { id: m.id, files: m.files as Record<string, ManifestFile> }, releases };
}
