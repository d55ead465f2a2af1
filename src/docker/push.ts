import type Docker from 'dockerode';
import { errorMessage } from '../util/errors.ts';
import { isDigest, parseRepository } from './image-ref.ts';
import { followProgress, LineSplitter, type ProgressEvent } from './progress.ts';

/** Registry credentials; the password comes from a pipeline secret and is never logged. */
export interface RegistryCredentials {
  username: string;
  password: string;
  /** Registry host, e.g. `registry.example.com:5000`. */
  registry: string;
}

/** What to push: a local repository:tag. */
export interface PushOptions {
  repository: string;
  tag: string;
  auth?: RegistryCredentials;
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Pushes `repository:tag` with the runner's daemon and returns the manifest digest the registry stored.
 * A failure names the registry and the user: the daemon's own message ("unauthorized: ...") says neither.
 */
export async function pushImage(docker: Docker, opts: PushOptions): Promise<string> {
  try {
    return await pushWithDaemon(docker, opts);
  } catch (err) {
    const who = opts.auth ? ` as ${opts.auth.username}` : ' without credentials';
    const registry = parseRepository(opts.repository).registry;
    throw new Error(
      `push of ${opts.repository}:${opts.tag} to registry ${registry}${who} failed: ${errorMessage(err)}`,
    );
  }
}

async function pushWithDaemon(docker: Docker, opts: PushOptions): Promise<string> {
  const authconfig = opts.auth
    ? { username: opts.auth.username, password: opts.auth.password, serveraddress: opts.auth.registry }
    : undefined;
  let digest: string | undefined;
  const lines = new LineSplitter((line) => opts.onLine?.(line));
  const stream = await docker
    .getImage(opts.repository)
    .push({ tag: opts.tag, authconfig, abortSignal: opts.signal });
  try {
    await followProgress(docker, stream, (event: ProgressEvent) => {
      const aux = event.aux?.['Digest'];
      if (typeof aux === 'string') digest = aux;
      // Per-layer byte counters would flood the run log; keep only state changes.
      if (typeof event.status === 'string' && event.progress === undefined) {
        lines.push(`${event.id ? `${event.id}: ` : ''}${event.status}\n`);
      }
    });
  } finally {
    lines.flush();
  }
  if (digest === undefined || !isDigest(digest)) {
    throw new Error(`the registry accepted ${opts.repository}:${opts.tag} but reported no digest`);
  }
  return digest;
}
