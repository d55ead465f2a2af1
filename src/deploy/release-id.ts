/** A release id: UTC time to the second and the short commit, so ids sort in deploy order. */
export function newReleaseId(now: Date, sha: string): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${t}-${sha.slice(0, 7).toLowerCase()}`;
}

const RELEASE_ID = /^\d{8}-\d{6}-[0-9a-f]{7}(-\d+)?$/;

/** True for an id made by newReleaseId (the only names Slipway deletes in a releases directory). */
export function isReleaseId(id: string): boolean {
  return RELEASE_ID.test(id);
}

/** The compose project of a release: each release runs beside the previous one under its own name. */
export function composeProject(app: string, release: string): string {
  const p = `${app}-${release}`.toLowerCase().replace(/[^a-z0-9_-]/g, '-');
  return /^[a-z0-9]/.test(p) ? p : `r${p}`;
}

/** The release whose compose project `project` is, if it is one of `app`'s (not of an app whose name starts alike). */
export function releaseOfProject(app: string, project: string): string | undefined {
  const prefix = composeProject(app, '');
  const release = project.slice(prefix.length);
  return project.startsWith(prefix) && isReleaseId(release) ? release : undefined;
}
