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
