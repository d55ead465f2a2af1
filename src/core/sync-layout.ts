// Where a `sync` step's releases live on a host. Shared by the sync step, which writes them, and the Caddy
// renderer, which serves the live one; neither layer may import the other. Nothing here imports anything.

/** Everything a sync step writes on a host stays under this directory. */
export const SYNC_ROOT = '/srv/slipway/sync';

/** Paths of one synced directory (`to:` of a sync step) on a host. */
export interface SyncPaths {
  root: string;
  releases: string;
  /** Symlink to the live release's directory, switched atomically. */
  current: string;
  /** The live release's files, as a web server should read them (through the `current` link). */
  currentFiles: string;
}

/** The paths of synced directory `name` on a host. */
export function syncPaths(name: string, root: string = SYNC_ROOT): SyncPaths {
  const dir = `${root}/${name}`;
  return {
    root: dir,
    releases: `${dir}/releases`,
    current: `${dir}/current`,
    currentFiles: `${dir}/current/${RELEASE_FILES}`,
  };
}

/** Inside a release directory: the shipped files, beside the release's manifest (which is not served). */
export const RELEASE_FILES = 'files';
export const RELEASE_MANIFEST = 'manifest.json';
