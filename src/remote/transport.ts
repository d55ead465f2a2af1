import type { Readable } from 'node:stream';

/** Options of one command run through a transport. */
export interface ExecOptions {
  /** Fed to the command's stdin (the only way secrets may travel); stdin is empty otherwise. */
  stdin?: string | Buffer | Readable;
  /** Kill the command after this long; the promise then rejects with a TransportTimeoutError. */
  timeoutMs?: number;
  /** Abort kills the command; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Extra environment for the command (names must be shell identifiers; values travel in argv, so never secrets). */
  env?: Record<string, string>;
}

/** What a command printed and how it exited; a non-zero exit code is a result, not an error. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** How an uploaded file lands: mode (e.g. 0o600) is set before the content, owner/group via chown. */
export interface UploadOptions {
  mode: number;
  owner?: string;
  group?: string;
}

/** A remote unix socket reachable at `localPath` until `close()`. */
export interface ForwardedSocket {
  localPath: string;
  close(): Promise<void>;
}

/** Runs argv on one host: over SSH, or on the runner itself. */
export interface Transport {
  /** Inventory host name, for messages. */
  readonly host: string;
  /** Runs argv exactly as given (never interpreted by a shell); rejects only when the command could not run. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Writes `content` to the absolute `remotePath` atomically (temp file + rename); content travels on stdin. */
  upload(content: string | Buffer, remotePath: string, opts: UploadOptions): Promise<void>;
  /** Makes the remote unix socket `remotePath` reachable as a local unix socket (e.g. for undici). */
  forwardUnixSocket(remotePath: string): Promise<ForwardedSocket>;
  /** Releases the connection; later calls reconnect. */
  close(): Promise<void>;
}

/** The host could not be reached or refused us (down, auth, changed host key): nothing ran. */
export class TransportError extends Error {
  readonly host: string;
  constructor(host: string, message: string, options?: ErrorOptions) {
    super(`${host}: ${message}`, options);
    this.name = 'TransportError';
    this.host = host;
  }
}

/** A command ran longer than its `timeoutMs` and was killed. */
export class TransportTimeoutError extends TransportError {
  constructor(host: string, argv: readonly string[], timeoutMs: number) {
    super(host, `${argv[0] ?? 'command'} timed out after ${timeoutMs} ms`);
    this.name = 'TransportTimeoutError';
  }
}

/** A command exited non-zero where success was required. */
export class CommandFailedError extends Error {
  readonly host: string;
  readonly argv: readonly string[];
  readonly result: ExecResult;
  constructor(host: string, argv: readonly string[], result: ExecResult) {
    const why = result.stderr.trim().split('\n').slice(-3).join(' / ') || `exit code ${result.exitCode}`;
    super(`${host}: ${argv.slice(0, 3).join(' ')} failed (exit ${result.exitCode}): ${why}`);
    this.name = 'CommandFailedError';
    this.host = host;
    this.argv = argv;
    this.result = result;
  }
}

/** Runs argv and returns its result, rejecting with CommandFailedError on a non-zero exit. */
export async function execOk(t: Transport, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
  const result = await t.exec(argv, opts);
  if (result.exitCode !== 0) throw new CommandFailedError(t.host, argv, result);
  return result;
}
