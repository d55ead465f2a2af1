/** Where an app's releases live on a host; everything Slipway writes for apps stays under APPS_ROOT. */
export const APPS_ROOT = '/srv/slipway/apps';

/** Paths of one app on a host. */
export interface AppPaths {
  root: string;
  releases: string;
  /** Symlink to the live release's directory. */
  current: string;
  /** Host ports allocated to the app's services (JSON, one line). */
  ports: string;
  /** Persistent data, kept across releases. */
  volume: string;
  /** The stateful services' compose file, `.env` and marker (their stable project's directory). */
  stateful: string;
  /** Backups of the stateful services, one directory per service (mode 0700, files 0600). */
  backups: string;
}

/** Paths of one release of an app on a host. */
export interface ReleasePaths {
  dir: string;
  compose: string;
  env: string;
  /** The release marker: what was deployed, from which run. */
  marker: string;
  /** Scratch directory recreated with each release. */
  scratch: string;
}

/** The paths of app `app` on a host. */
export function appPaths(app: string, root: string = APPS_ROOT): AppPaths {
  const dir = `${root}/${app}`;
  return {
    root: dir,
    releases: `${dir}/releases`,
    current: `${dir}/current`,
    ports: `${dir}/ports.json`,
    volume: `${dir}/volume`,
    stateful: `${dir}/stateful`,
    backups: `${dir}/backups`,
  };
}

/** The paths of release `release` of app `app` on a host. */
export function releasePaths(app: string, release: string, root: string = APPS_ROOT): ReleasePaths {
  const dir = `${appPaths(app, root).releases}/${release}`;
  return {
    dir,
    compose: `${dir}/compose.yml`,
    env: `${dir}/.env`,
    marker: `${dir}/release.json`,
    scratch: `${dir}/files`,
  };
}
