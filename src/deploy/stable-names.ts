// The Docker names of what outlives a release: an app's named volumes, the network its stateless
// and stateful services share, and the compose project of its stateful services. Stable per app and
// environment (a host may serve one app in two environments), never per release.

const dockerName = (parts: readonly string[]) =>
  parts
    .join('_')
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[^A-Za-z0-9]/, 'v');

/** The Docker volume behind the compose volume `volume` of `app` in `environment`. */
export function volumeName(app: string, environment: string, volume: string): string {
  return dockerName(['slipway', app, environment, volume]);
}

/** The network on which an app's release reaches its stateful services by their service names. */
export function sharedNetwork(app: string, environment: string): string {
  return dockerName(['slipway', app, environment]);
}

/** The compose project of an app's stateful services on a host: one, whatever the release. */
export function statefulProject(app: string, environment: string): string {
  const p = `${app}-${environment}-stateful`.toLowerCase().replace(/[^a-z0-9_-]/g, '-');
  return /^[a-z0-9]/.test(p) ? p : `s${p}`;
}

/** The labels Slipway puts on the volumes and networks it creates, to find and report them later. */
export function stableLabels(app: string, environment: string, extra: Record<string, string> = {}) {
  return { 'dev.slipway.app': app, 'dev.slipway.environment': environment, ...extra };
}
