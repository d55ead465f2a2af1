import type Docker from 'dockerode';
import { errorMessage } from '../util/errors.ts';
import { buildContext, dockerfileInContext } from './build-context.ts';
import { followProgress, LineSplitter, type ProgressEvent } from './progress.ts';
import type { RegistryCredentials } from './push.ts';

/** What to build: a context directory on the runner and the tag to give the result. */
export interface BuildOptions {
  context: string;
  /** Path of the Dockerfile, relative to the context (default `Dockerfile`). */
  dockerfile?: string;
  /** Full tag, e.g. `registry.example.com/acme/web:<sha>`. */
  tag: string;
  args?: Record<string, string>;
  target?: string;
  labels?: Record<string, string>;
  /** Credentials for registries the Dockerfile's FROM images come from (sent to the daemon, never logged). */
  registryAuth?: RegistryCredentials[];
  /** Each line of build output, as it arrives. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

/** The image that was built. */
export interface BuiltImage {
  /** Local image id, `sha256:...`. */
  id: string;
  tag: string;
}

const TAIL_LINES = 30;

/** A failed build, carrying the last lines of the build output so the cause is visible where it is reported. */
export class BuildError extends Error {
  readonly output: string[];
  constructor(message: string, output: string[]) {
    super(`${message}\n--- last build output ---\n${output.join('\n')}`);
    this.name = 'BuildError';
    this.output = output;
  }
}

/** Builds an image with the runner's docker daemon, streaming the build log line by line. */
export async function buildImage(docker: Docker, opts: BuildOptions): Promise<BuiltImage> {
  const dockerfile = dockerfileInContext(opts.context, opts.dockerfile);
  const tail: string[] = [];
  const lines = new LineSplitter((line) => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    opts.onLine?.(line);
  });
  let id: string | undefined;
  try {
    const stream = await docker.buildImage(buildContext(opts.context, dockerfile), {
      t: opts.tag,
      dockerfile,
      buildargs: opts.args ?? {},
      labels: opts.labels ?? {},
      ...(opts.target ? { target: opts.target } : {}),
      rm: true,
      forcerm: true,
      abortSignal: opts.signal,
      ...(opts.registryAuth?.length
        ? {
            registryconfig: Object.fromEntries(
              opts.registryAuth.map((a) => [a.registry, { username: a.username, password: a.password }]),
            ),
          }
        : {}),
    } as Docker.ImageBuildOptions);
    await followProgress(docker, stream, (event: ProgressEvent) => {
      if (typeof event.stream === 'string') lines.push(event.stream);
      else if (typeof event.status === 'string') lines.push(`${event.status}\n`);
      const auxId = event.aux?.['ID'];
      if (typeof auxId === 'string') id = auxId;
    });
  } catch (err) {
    lines.flush();
    throw new BuildError(`docker build of ${opts.tag} failed: ${errorMessage(err)}`, tail);
  }
  lines.flush();
  // The classic builder reports the id only as text; the tag is the reliable handle either way.
  const info = await docker.getImage(opts.tag).inspect();
  return { id: id ?? info.Id, tag: opts.tag };
}
