import { atomicWrite } from './commands/files.ts';
import { runProcess, withEnv } from './exec-process.ts';
import type { ExecOptions, ExecResult, ForwardedSocket, Transport, UploadOptions } from './transport.ts';
import { CommandFailedError } from './transport.ts';

/** A Transport that runs argv on the runner machine itself (no shell involved at all). */
export class LocalTransport implements Transport {
  readonly host: string;

  constructor(host = 'localhost') {
    this.host = host;
  }

  exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const [file, ...args] = withEnv(argv, opts.env);
    return runProcess(this.host, file!, args, argv, opts);
  }

  async upload(content: string | Buffer, remotePath: string, opts: UploadOptions): Promise<void> {
    const result = await this.exec(atomicWrite(remotePath, opts), { stdin: content });
    if (result.exitCode !== 0) throw new CommandFailedError(this.host, ['upload', remotePath], result);
  }

  /** The socket is already local: hand back its own path. */
  async forwardUnixSocket(remotePath: string): Promise<ForwardedSocket> {
    return { localPath: remotePath, close: async () => {} };
  }

  async close(): Promise<void> {}
}
