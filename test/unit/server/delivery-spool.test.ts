import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DeliverySpool,
  type SpooledDelivery,
  SpoolRefused,
  spoolDirOf,
} from '../../../src/server/delivery-spool.ts';

let root: string;
let dir: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'slipway-spool-'));
  dir = spoolDirOf(join(root, 'state.db'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const delivery = (n: number, pushKey?: string): SpooledDelivery => ({
  id: `github:d${n}`,
  forge: 'github',
  event: 'push',
  payload: JSON.stringify({ n }),
  receivedAt: 1_000 + n,
  ...(pushKey ? { pushKey } : {}),
});
const mode = (path: string) => statSync(path).mode & 0o777;

describe('DeliverySpool', () => {
  it('keeps deliveries in a 0600 file in a 0700 directory beside the store, across a reopen', () => {
    const spool = new DeliverySpool(dir);
    spool.append(delivery(1, 'github:acme/ops:refs/heads/main:aaa'));
    spool.append(delivery(2));
    spool.close();
    expect(dir).toBe(join(root, 'state.db.spool'));
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'deliveries'))).toBe(0o600);

    const again = new DeliverySpool(dir);
    try {
      expect(again.read()).toEqual({
        deliveries: [delivery(1, 'github:acme/ops:refs/heads/main:aaa'), delivery(2)],
        skippedBytes: 0,
      });
      expect(again.count).toBe(2);
      expect(again.holds('github:d2')).toBe(true);
      expect(again.holds('github:other', 'github:acme/ops:refs/heads/main:aaa')).toBe(true);
      expect(again.holds('github:d3')).toBe(false);
    } finally {
      again.close();
    }
  });

  it('skips the record a crash tore, and keeps what is appended after it', () => {
    const spool = new DeliverySpool(dir);
    spool.append(delivery(1));
    spool.append(delivery(2));
    spool.close();
    // The crash: the second record's append stopped halfway.
    const file = join(dir, 'deliveries');
    const bytes = readFileSync(file);
    const firstEnd = bytes.indexOf(Buffer.from([0xff, 0x53, 0x50, 0x31]), 1);
    rmSync(file);
    appendFileSync(file, bytes.subarray(0, firstEnd + Math.floor((bytes.length - firstEnd) / 2)));

    const restarted = new DeliverySpool(dir);
    try {
      expect(restarted.count).toBe(1);
      restarted.append(delivery(3));
      const read = restarted.read();
      expect(read.deliveries.map((d) => d.id)).toEqual(['github:d1', 'github:d3']);
      expect(read.skippedBytes).toBe(Math.floor((bytes.length - firstEnd) / 2));
    } finally {
      restarted.close();
    }
  });

  it('refuses a delivery past its size, and takes deliveries again once cleared', () => {
    const spool = new DeliverySpool(dir, { maxBytes: 200 });
    try {
      spool.append(delivery(1));
      expect(() => spool.append({ ...delivery(2), payload: 'x'.repeat(200) })).toThrow(SpoolRefused);
      expect(() => spool.append({ ...delivery(2), payload: 'x'.repeat(200) })).toThrow(/the spool is full/);
      expect(spool.read().deliveries).toEqual([delivery(1)]);
      spool.clear();
      expect(spool.count).toBe(0);
      expect(spool.holds('github:d1')).toBe(false);
      expect(statSync(join(dir, 'deliveries')).size).toBe(0);
      spool.append(delivery(2));
      expect(spool.read().deliveries).toEqual([delivery(2)]);
    } finally {
      spool.close();
    }
  });
});
