import type { Readable } from 'node:stream';
import type { ContainerInfo } from './container-state.ts';
import type { HostDocker } from './host-docker.ts';
import { FrameDecoder, LineSplitter, type OutputStream } from './log-frames.ts';

/** One line a container printed; `at` is the engine's timestamp of it, when it stamped one. */
export interface ContainerLine {
  stream: OutputStream;
  at?: string;
  text: string;
}

/** Turns a container's raw output (multiplexed unless it has a TTY) into lines, per stream. */
function lineSink(tty: boolean, onLine: (stream: OutputStream, text: string) => void) {
  const frames = new FrameDecoder();
  const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  const emit = (stream: OutputStream, lines: string[]) => {
    for (const text of lines) onLine(stream, text);
  };
  return {
    push(chunk: Buffer) {
      if (tty) emit('stdout', splitters.stdout.push(chunk));
      else for (const f of frames.push(chunk)) emit(f.stream, splitters[f.stream].push(f.payload));
    },
    end() {
      emit('stdout', splitters.stdout.end());
      emit('stderr', splitters.stderr.end());
    },
  };
}

/** Reads `stream` into `sink` until it ends or `signal` aborts (then it is destroyed: a follow ends there). */
function drain(
  stream: NodeJS.ReadableStream,
  sink: { push(chunk: Buffer): void; end(): void },
  signal?: AbortSignal,
) {
  return new Promise<void>((resolve, reject) => {
    // dockerode types its streams as NodeJS.ReadableStream; they are node Readables (HTTP responses, sockets).
    const stop = () => (stream as Readable).destroy();
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    const done = (err?: Error) => {
      signal?.removeEventListener('abort', stop);
      sink.end();
      if (err && !signal?.aborted) reject(err);
      else resolve();
    };
    stream.on('data', (chunk: Buffer) => sink.push(chunk));
    stream.once('end', () => done());
    stream.once('close', () => done());
    stream.once('error', (err) => done(err));
  });
}

// The engine stamps each line `2026-01-02T03:04:05.123456789Z text` when asked for timestamps.
const STAMPED = /^(\d{4}-\d\d-\d\dT\S+Z) ?(.*)$/s;

/**
 * The lines container `c` printed through the engine's API: the last `tail` of them (all when undefined),
 * then, with `follow`, every new one until `signal` aborts or the container stops.
 */
export async function streamContainerLogs(
  engine: HostDocker,
  c: ContainerInfo,
  opts: { tail?: number; follow: boolean; signal?: AbortSignal },
  onLine: (line: ContainerLine) => void,
): Promise<void> {
  const sink = lineSink(c.Config.Tty === true, (stream, raw) => {
    const m = STAMPED.exec(raw);
    onLine(m ? { stream, at: m[1]!, text: m[2]! } : { stream, text: raw });
  });
  const container = engine.api.getContainer(c.Id);
  const common = {
    stdout: true,
    stderr: true,
    timestamps: true,
    ...(opts.tail === undefined ? {} : { tail: opts.tail }),
  } as const;
  if (!opts.follow) {
    sink.push(await container.logs({ ...common, follow: false }));
    sink.end();
    return;
  }
  await drain(await container.logs({ ...common, follow: true }), sink, opts.signal);
}

/**
 * Runs argv in container `id` through the engine's exec API (no shell, no TTY, no stdin); each line it
 * prints goes to `onLine` as it comes. Returns the command's exit code.
 */
export async function execInContainer(
  engine: HostDocker,
  id: string,
  argv: readonly string[],
  onLine: (stream: OutputStream, text: string) => void,
  signal?: AbortSignal,
): Promise<number> {
  const exec = await engine.api.getContainer(id).exec({
    Cmd: [...argv],
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: false,
    Tty: false,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  await drain(stream, lineSink(false, onLine), signal);
  const info = await exec.inspect();
  if (info.ExitCode === null || info.ExitCode === undefined) {
    throw new Error(
      `the command is still running in the container (${info.Running ? 'running' : 'unknown'})`,
    );
  }
  return info.ExitCode;
}
