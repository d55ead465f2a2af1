import type { EventLog } from '../store/events.ts';
import type { NewEvent } from '../store/types.ts';
import { LineSplitter } from './lines.ts';
import { StreamMasker } from './masker.ts';

/** Which output a line belongs to; each one is masked as its own stream. */
export interface LogChannel {
  job: string;
  step: number;
  stream: 'stdout' | 'stderr';
  host?: string;
}

/** Batch size at which buffered lines are written at once. */
const FLUSH_LINES = 2_000;

/**
 * Masks output and stores it as timestamped log events. Each channel goes through its own streaming masker
 * (secrets split across lines or chunks are still caught) and lines are written in batched transactions.
 */
export class LogWriter {
  readonly #events: EventLog;
  readonly #runId: number;
  readonly #values: readonly string[];
  readonly #channels = new Map<string, { masker: StreamMasker; lines: LineSplitter; channel: LogChannel }>();
  #buffer: NewEvent[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(events: EventLog, runId: number, maskValues: readonly string[], flushMs = 50) {
    this.#events = events;
    this.#runId = runId;
    this.#values = maskValues;
    this.#timer = setInterval(() => this.flush(), flushMs);
    this.#timer.unref();
  }

  /** Adds one line of output (without its newline). */
  line(channel: LogChannel, text: string): void {
    this.write(channel, `${text}\n`);
  }

  /** Adds raw output of any chunking. */
  write(channel: LogChannel, chunk: string): void {
    const c = this.#channel(channel);
    this.#add(c.channel, c.lines.push(c.masker.push(chunk)));
  }

  /** Ends a channel: its held-back text is masked and stored. */
  endChannel(channel: LogChannel): void {
    const key = channelKey(channel);
    const c = this.#channels.get(key);
    if (!c) return;
    this.#add(c.channel, [...c.lines.push(c.masker.end()), ...c.lines.end()]);
    this.#channels.delete(key);
  }

  /** Ends every channel of a step. */
  endStep(job: string, step: number): void {
    for (const c of [...this.#channels.values()]) {
      if (c.channel.job === job && c.channel.step === step) this.endChannel(c.channel);
    }
    this.flush();
  }

  /** Writes buffered lines now. */
  flush(): void {
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#events.append(batch);
  }

  /** Ends every channel, writes everything and stops the flush timer. */
  close(): void {
    for (const c of [...this.#channels.values()]) this.endChannel(c.channel);
    this.flush();
    clearInterval(this.#timer);
  }

  #channel(channel: LogChannel) {
    const key = channelKey(channel);
    let c = this.#channels.get(key);
    if (!c) {
      c = { masker: new StreamMasker(this.#values), lines: new LineSplitter(), channel };
      this.#channels.set(key, c);
    }
    return c;
  }

  #add(channel: LogChannel, lines: string[]): void {
    const ts = Date.now();
    for (const text of lines) {
      this.#buffer.push({
        runId: this.#runId,
        ts,
        kind: 'log',
        job: channel.job,
        step: channel.step,
        host: channel.host,
        stream: channel.stream,
        text,
      });
    }
    if (this.#buffer.length >= FLUSH_LINES) this.flush();
  }
}

function channelKey(c: LogChannel): string {
  return `${c.job}\0${c.step}\0${c.stream}\0${c.host ?? ''}`;
}
