/** Pure argv builders the deploy needs besides remote/commands (docker, compose, files). */

/** Lists listening TCP sockets without a header (iproute2 `ss`), for port allocation. */
export function listeningSockets(): string[] {
  return ['ss', '-H', '-l', '-t', '-n'];
}

/** Prints every app's ports file under `appsRoot`, one JSON object per line. */
export function catPortsFiles(appsRoot: string): string[] {
  return [
    'find',
    appsRoot,
    '-mindepth',
    '2',
    '-maxdepth',
    '2',
    '-name',
    'ports.json',
    '-exec',
    'cat',
    '--',
    '{}',
    '+',
  ];
}

/** Creates several directories and their parents in one command (mode 0755). */
export function makeDirs(paths: readonly string[]): string[] {
  for (const p of paths)
    if (!p.startsWith('/')) throw new Error(`expected an absolute path, got ${JSON.stringify(p)}`);
  return ['mkdir', '-p', '--', ...paths];
}

/** Lists the entries of a directory, one per line (exit non-zero when it is missing). */
export function listDir(path: string): string[] {
  return ['ls', '-1', '--', path];
}

/** Exits 0 when `path` is a unix socket (e.g. Caddy's admin API). */
export function isSocket(path: string): string[] {
  return ['test', '-S', path];
}

/** Prints the HTTP status of a GET to `url` from the host itself (000 when nothing answers). */
export function httpStatus(url: string, timeoutSec: number): string[] {
  return [
    'curl',
    '--silent',
    '--output',
    '/dev/null',
    '--write-out',
    '%{http_code}',
    '--max-time',
    String(timeoutSec),
    '--',
    url,
  ];
}

/** Prints the status line, headers and body of a GET to `url` from the host itself (why a health check failed). */
export function httpAnswer(url: string, timeoutSec: number): string[] {
  return ['curl', '--silent', '--show-error', '--include', '--max-time', String(timeoutSec), '--', url];
}

// Constant scripts: the file and the command arrive as positional parameters only, never parsed by a shell.
const BACKUP_SCRIPT = [
  'set -eu',
  'out=$1',
  'shift',
  'umask 077',
  'if "$@" > "$out.partial"; then mv -f -- "$out.partial" "$out"; else rc=$?; rm -f -- "$out.partial"; exit "$rc"; fi',
  'wc -c < "$out"',
].join('\n');
const RESTORE_SCRIPT = 'set -eu\nin=$1\nshift\nexec "$@" < "$in"';

/**
 * Runs `argv` in `container` and streams its stdout into `file` (mode 0600, created under umask 077):
 * written as `file.partial`, renamed when the command exits 0, removed when it does not. Prints the size.
 */
export function backupTo(file: string, container: string, argv: readonly string[]): string[] {
  if (!file.startsWith('/')) throw new Error(`expected an absolute path, got ${JSON.stringify(file)}`);
  return ['sh', '-c', BACKUP_SCRIPT, 'slipway-backup', file, 'docker', 'exec', container, ...argv];
}

/** Runs `argv` in `container` with `file` on its stdin (a restore). */
export function restoreFrom(file: string, container: string, argv: readonly string[]): string[] {
  if (!file.startsWith('/')) throw new Error(`expected an absolute path, got ${JSON.stringify(file)}`);
  return ['sh', '-c', RESTORE_SCRIPT, 'slipway-restore', file, 'docker', 'exec', '-i', container, ...argv];
}

/** Creates a directory and its parents with mode 0700 (backups hold the data of the app's services). */
export function makePrivateDir(path: string): string[] {
  if (!path.startsWith('/')) throw new Error(`expected an absolute path, got ${JSON.stringify(path)}`);
  return ['mkdir', '-p', '-m', '0700', '--', path];
}

/** Removes files (never directories); missing ones are not an error. */
export function removeFiles(paths: readonly string[]): string[] {
  for (const p of paths)
    if (!p.startsWith('/')) throw new Error(`expected an absolute path, got ${JSON.stringify(p)}`);
  return ['rm', '-f', '--', ...paths];
}

/** Exits 0 when `path` is a regular file. */
export function isFile(path: string): string[] {
  return ['test', '-f', path];
}
