/** Pure argv builders for the docker CLI on a host. `--` ends options wherever docker allows it. */

/** Label filters as `--filter label=k=v` pairs. */
function labelFilters(labels: Record<string, string> = {}): string[] {
  return Object.entries(labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
}

/** Logs in to `registry`; the password must be fed on stdin (never argv). */
export function login(registry: string, username: string): string[] {
  return ['docker', 'login', '--username', username, '--password-stdin', '--', registry];
}

/** Forgets the credentials of `registry`. */
export function logout(registry: string): string[] {
  return ['docker', 'logout', '--', registry];
}

/** Pulls an image by reference (prefer `name@sha256:...`). */
export function pull(ref: string): string[] {
  return ['docker', 'pull', '--quiet', '--', ref];
}

/** Prints the JSON array `docker inspect` gives for images or containers; exit 1 if any is missing. */
export function inspect(type: 'image' | 'container' | 'volume' | 'network', ...names: string[]): string[] {
  return ['docker', 'inspect', '--type', type, '--', ...names];
}

/** Lists containers (all states), one JSON object per line, optionally only those with these labels. */
export function ps(opts: { labels?: Record<string, string> } = {}): string[] {
  return ['docker', 'ps', '--all', '--no-trunc', ...labelFilters(opts.labels), '--format', '{{json .}}'];
}

/** Stops containers, waiting `timeoutSec` before killing. */
export function stop(names: string[], timeoutSec = 10): string[] {
  return ['docker', 'stop', '--time', String(timeoutSec), '--', ...names];
}

/** Removes containers (force: running ones too). */
export function rm(names: string[], opts: { force?: boolean } = {}): string[] {
  return ['docker', 'rm', ...(opts.force ? ['--force'] : []), '--', ...names];
}

/** Removes images by reference or id. */
export function rmi(refs: string[]): string[] {
  return ['docker', 'image', 'rm', '--', ...refs];
}

/** Removes unused images (all: not only dangling ones), optionally only those with these labels. */
export function imagePrune(
  opts: { all?: boolean; labels?: Record<string, string>; until?: string } = {},
): string[] {
  const argv = ['docker', 'image', 'prune', '--force'];
  if (opts.all) argv.push('--all');
  argv.push(...labelFilters(opts.labels));
  if (opts.until) argv.push('--filter', `until=${opts.until}`);
  return argv;
}

/** Prints the daemon's version (fails when the daemon is unreachable). */
export function serverVersion(): string[] {
  return ['docker', 'version', '--format', '{{.Server.Version}}'];
}
