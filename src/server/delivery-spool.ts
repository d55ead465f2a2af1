import {
  chmodSync,
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DeliveryRecord } from '../store/deliveries.ts';
import { errorMessage } from '../util/errors.ts';
import { decodeFrames, encodeFrame } from './spool-frames.ts';

/** A delivery as the webhook route accepted it, before the store has it. */
export type SpooledDelivery = Omit<DeliveryRecord, 'status' | 'outcome'>;

/** How many bytes the spool holds at most: a few of the largest deliveries a forge sends (25 MB each). */
export const SPOOL_MAX_BYTES = 64 * 1024 * 1024;

/** The spool cannot take a delivery (full, or the disk refused the write): the sender must retry. */
export class SpoolRefused extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SpoolRefused';
  }
}

/** The spool directory of the store at `statePath`: beside it, named after it. */
export function spoolDirOf(statePath: string): string {
  return join(dirname(statePath), `${basename(statePath)}.spool`);
}

/**
 * Signed deliveries accepted while the store could not take them: an append-only file (0600, in a 0700
 * directory), each record fsync'd before the sender is answered, read back when the store is free and then
 * emptied. One `slipway serve` per store appends to it; emptying it is safe because reading, recording and
 * truncating happen in one turn of the event loop, so no append falls between them.
 */
export class DeliverySpool {
  readonly #path: string;
  readonly #fd: number;
  readonly #maxBytes: number;
  /** Delivery ids and push keys of the records held: a replay while the store is busy is not spooled twice. */
  readonly #keys = new Set<string>();
  #bytes: number;
  #count = 0;

  /** Opens (creating when missing) the spool in `dir`; records left by a previous process are kept. */
  constructor(dir: string, { maxBytes = SPOOL_MAX_BYTES } = {}) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    this.#path = join(dir, 'deliveries');
    this.#fd = openSync(this.#path, 'a', 0o600);
    chmodSync(this.#path, 0o600);
    // The new file's name must survive a crash as its records do.
    syncDirectory(dir);
    this.#maxBytes = maxBytes;
    this.#bytes = fstatSync(this.#fd).size;
    for (const d of this.read().deliveries) this.#hold(d);
  }

  /** How many deliveries it holds. */
  get count(): number {
    return this.#count;
  }

  /** True when it holds this delivery id or push key. */
  holds(id: string, pushKey?: string): boolean {
    return this.#keys.has(id) || (pushKey !== undefined && this.#keys.has(pushKey));
  }

  /** Appends a delivery and fsyncs it; throws SpoolRefused when full or when the write fails. */
  append(d: SpooledDelivery): void {
    const frame = encodeFrame(Buffer.from(JSON.stringify(d), 'utf8'));
    if (this.#bytes + frame.length > this.#maxBytes)
      throw new SpoolRefused(
        `the spool is full: expected room for ${frame.length} bytes, got ${this.#maxBytes - this.#bytes}`,
      );
    try {
      writeSync(this.#fd, frame);
      fsyncSync(this.#fd);
    } catch (err) {
      // A partial write would be skipped as torn anyway; cutting it keeps the file to whole records.
      tryTruncate(this.#fd, this.#bytes);
      throw new SpoolRefused(`the spool could not be written: ${errorMessage(err)}`, { cause: err });
    }
    this.#bytes += frame.length;
    this.#hold(d);
  }

  /** The deliveries held, oldest first, and how many bytes of torn or damaged records were skipped. */
  read(): { deliveries: SpooledDelivery[]; skippedBytes: number } {
    const { payloads, skippedBytes } = decodeFrames(readFileSync(this.#path));
    // The CRC vouches that a payload is the JSON this class wrote.
    const deliveries = payloads.map((p) => JSON.parse(p.toString('utf8')) as SpooledDelivery);
    return { deliveries, skippedBytes };
  }

  /** Empties the spool (its records are in the store). */
  clear(): void {
    ftruncateSync(this.#fd, 0);
    fsyncSync(this.#fd);
    this.#bytes = 0;
    this.#count = 0;
    this.#keys.clear();
  }

  close(): void {
    closeSync(this.#fd);
  }

  #hold(d: SpooledDelivery): void {
    this.#count++;
    this.#keys.add(d.id);
    if (d.pushKey) this.#keys.add(d.pushKey);
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function tryTruncate(fd: number, length: number): void {
  try {
    ftruncateSync(fd, length);
  } catch {
    // The disk refused the write already; the torn tail is skipped when the spool is read.
  }
}
