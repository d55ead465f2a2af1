/** Pure argv builders for docker compose: v2 (`docker compose`) and v1 (`docker-compose`). */

/** v2: the `docker compose` plugin; v1: the standalone `docker-compose`. */
export type ComposeFlavor = 'v2' | 'v1';

/** Which compose a project runs with: the project name and its compose files (absolute paths). */
export interface ComposeProject {
  flavor: ComposeFlavor;
  name: string;
  files: string[];
  /** Project directory (relative paths in the compose file resolve from here); default: the first file's. */
  directory?: string;
}

/** Argv that exits 0 when compose of `flavor` is installed, printing its version. */
export function detect(flavor: ComposeFlavor): string[] {
  return [...base(flavor), 'version', '--short'];
}

function base(flavor: ComposeFlavor): string[] {
  return flavor === 'v2' ? ['docker', 'compose'] : ['docker-compose'];
}

function project(p: ComposeProject): string[] {
  if (p.files.length === 0) throw new Error(`compose project ${p.name}: no compose file`);
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(p.name)) {
    throw new Error(
      `invalid compose project name ${JSON.stringify(p.name)} (lowercase letters, digits, - and _)`,
    );
  }
  const argv = [...base(p.flavor), '--project-name', p.name];
  for (const f of p.files) argv.push('--file', f);
  if (p.directory) argv.push('--project-directory', p.directory);
  return argv;
}

/** Validates the compose files (exit non-zero with the reason on stderr). */
export function config(p: ComposeProject): string[] {
  return [...project(p), 'config', '--quiet'];
}

/** Pulls the project's images. */
export function pull(p: ComposeProject): string[] {
  return [...project(p), 'pull', '--quiet'];
}

/** Creates or updates the project's containers in the background. */
export function up(p: ComposeProject, opts: { services?: string[]; removeOrphans?: boolean } = {}): string[] {
  const argv = [...project(p), 'up', '--detach', '--no-color'];
  if (opts.removeOrphans !== false) argv.push('--remove-orphans');
  return opts.services?.length ? [...argv, '--', ...opts.services] : argv;
}

/** Stops and removes the project's containers (and its named volumes with `volumes`). */
export function down(p: ComposeProject, opts: { volumes?: boolean; timeoutSec?: number } = {}): string[] {
  const argv = [...project(p), 'down', '--remove-orphans'];
  if (opts.volumes) argv.push('--volumes');
  if (opts.timeoutSec !== undefined) argv.push('--timeout', String(opts.timeoutSec));
  return argv;
}

/**
 * Lists the project's containers as JSON. v2 prints `ps --format json`; v1 has no JSON output, so
 * ask docker for the containers carrying the project label (one JSON object per line).
 */
export function ps(p: ComposeProject): string[] {
  if (p.flavor === 'v2') return [...project(p), 'ps', '--all', '--format', 'json'];
  project(p);
  return [
    'docker',
    'ps',
    '--all',
    '--no-trunc',
    '--filter',
    `label=com.docker.compose.project=${p.name}`,
    '--format',
    '{{json .}}',
  ];
}
