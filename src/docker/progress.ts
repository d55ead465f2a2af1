import type Docker from 'dockerode';

/** One JSON message of the daemon's build or push progress stream. */
export interface ProgressEvent {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: Record<string, unknown>;
}

/**
 * Follows a daemon progress stream to its end, handing each event to `onEvent`; resolves once the
 * stream ends and rejects with the daemon's own message when an event carries an error.
 */
export function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onEvent: (event: ProgressEvent) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        if (err) reject(err);
        else if (failure !== undefined) reject(new Error(failure));
        else resolve();
      },
      (event: ProgressEvent) => {
        if (event.error !== undefined || event.errorDetail?.message !== undefined) {
          failure = event.errorDetail?.message ?? event.error;
        }
        onEvent(event);
      },
    );
  });
}

/** Splits chunks of text into whole lines, keeping a trailing partial line until more arrives. */
export class LineSplitter {
  #rest = '';
  readonly #emit: (line: string) => void;

  constructor(emit: (line: string) => void) {
    this.#emit = emit;
  }

  /** Feeds a chunk; emits every line it completes. */
  push(chunk: string): void {
    const parts = (this.#rest + chunk).split(/\r?\n/);
    this.#rest = parts.pop() ?? '';
    for (const line of parts) this.#emit(line);
  }

  /** Emits what is left without a newline. */
  flush(): void {
    if (this.#rest !== '') this.#emit(this.#rest);
    this.#rest = '';
  }
}
