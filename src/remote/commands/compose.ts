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
  /** v1 only: the host's python3 has the stdlib distutils (stdlibDistutils() exited 0). */
  stdlibDistutils?: boolean;
}

/** Argv that exits 0 when compose of `flavor` is installed, printing its version. */
export function detect(flavor: ComposeFlavor): string[] {
  return [...base(flavor), 'version', '--short'];
}

// v1 imports distutils, which Debian's setuptools shim answers by loading all of setuptools and
// pkg_resources: half of v1's 0.5 s start-up. The stdlib distutils (Python <= 3.11) serves it as
// well, so where it exists (see stdlibDistutils) v1 runs with the shim off.
const STDLIB_DISTUTILS = 'SETUPTOOLS_USE_DISTUTILS=stdlib';

function base(flavor: ComposeFlavor, stdlib = false): string[] {
  if (flavor === 'v2') return ['docker', 'compose'];
  return stdlib ? ['env', STDLIB_DISTUTILS, 'docker-compose'] : ['docker-compose'];
}

/** Exits 0 when the host's python3 has the stdlib distutils that compose v1 can run on. */
export function stdlibDistutils(): string[] {
  return [
    'env',
    STDLIB_DISTUTILS,
    'python3',
    '-W',
    'ignore',
    '-c',
    'import distutils.spawn, distutils.version',
  ];
}

function project(p: ComposeProject): string[] {
  if (p.files.length === 0) throw new Error(`compose project ${p.name}: no compose file`);
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(p.name)) {
    throw new Error(
      `invalid compose project name ${JSON.stringify(p.name)} (lowercase letters, digits, - and _)`,
    );
  }
  const argv = [...base(p.flavor, p.stdlibDistutils), '--project-name', p.name];
  for (const f of p.files) argv.push('--file', f);
  if (p.directory) argv.push('--project-directory', p.directory);
  return argv;
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
 * Runs `argv` once in a new container of `service` (its image, environment and networks), removed after:
 * no TTY, no dependencies started, no ports published. Exits with the command's exit code.
 */
export function run(p: ComposeProject, service: string, argv: readonly string[]): string[] {
  if (argv.length === 0) throw new Error(`compose run ${service}: no command`);
  return [...project(p), 'run', '--rm', '--no-deps', '-T', service, ...argv];
}
