import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeliverySpool, type SpooledDelivery, spoolDirOf } from '../../../src/server/delivery-spool.ts';
import { SpoolIngester } from '../../../src/server/spool-ingester.ts';
import { Deliveries } from '../../../src/store/deliveries.ts';

// A real SQLite store and a real spool file; "another process" holding the write lock is another connection.

let root: string;
let state: string;
let open: { close(): void }[];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'slipway-ingest-'));
  state = join(root, 'state.db');
  open = [];
});
afterEach(() => {
  for (const o of open.reverse()) o.close();
  rmSync(root, { recursive: true, force: true });
});

const delivery = (n: number, pushKey = `github:acme/ops:refs/heads/main:${n}`): SpooledDelivery => ({
  id: `github:d${n}`,
  forge: 'github',
  event: 'push',
  payload: JSON.stringify({ n }),
  receivedAt: 1_000 + n,
  pushKey,
});

function setUp() {
  const deliveries = new Deliveries(state, { busyTimeoutMs: 20 });
  const spool = new DeliverySpool(spoolDirOf(state));
  open.push(deliveries, spool);
  const logs: string[] = [];
  let woken = 0;
  const ingester = new SpoolIngester({
    spool,
    deliveries,
    ingested: () => woken++,
    log: (l) => logs.push(l),
  });
  return { deliveries, spool, ingester, logs, woken: () => woken };
}
const pendingIds = (d: Deliveries) => d.pending().map((p) => p.id);

describe('SpoolIngester', () => {
  it('moves spooled deliveries into the store in order, empties the spool and wakes the processor', () => {
    const { deliveries, spool, ingester, woken } = setUp();
    spool.append(delivery(1));
    spool.append(delivery(2));
    expect(ingester.ingest()).toBe(2);
    expect(pendingIds(deliveries)).toEqual(['github:d1', 'github:d2']);
    expect(spool.count).toBe(0);
    expect(spool.read().deliveries).toEqual([]);
    expect(woken()).toBe(1);
    expect(ingester.ingest()).toBe(0);
  });

  it('keeps the spool while another process holds the write lock, and moves it once the lock is gone', () => {
    const { deliveries, spool, ingester, logs } = setUp();
    spool.append(delivery(1));
    const other = new DatabaseSync(state);
    other.exec('BEGIN IMMEDIATE');
    expect(ingester.ingest()).toBe(0);
    expect(ingester.ingest()).toBe(0);
    expect(spool.count).toBe(1);
    expect(logs.filter((l) => l.includes('wait for the store'))).toHaveLength(1);
    other.exec('ROLLBACK');
    other.close();
    expect(ingester.ingest()).toBe(1);
    expect(pendingIds(deliveries)).toEqual(['github:d1']);
  });

  it('takes a delivery the store has already (same id, or same push) once', () => {
    const { deliveries, spool, ingester, logs } = setUp();
    deliveries.record(delivery(1));
    deliveries.record(delivery(2));
    spool.append(delivery(1));
    spool.append({ ...delivery(2), id: 'github:redelivered' });
    spool.append(delivery(3));
    expect(ingester.ingest()).toBe(1);
    expect(pendingIds(deliveries)).toEqual(['github:d1', 'github:d2', 'github:d3']);
    expect(logs).toContain('spool: 1 delivery(ies) moved into the store, 2 it had already');
  });

  it('records nothing twice after a crash between the commit and the emptying of the spool', () => {
    const first = setUp();
    first.spool.append(delivery(1));
    first.spool.append(delivery(2));
    const file = join(spoolDirOf(state), 'deliveries');
    copyFileSync(file, `${file}.before`);
    expect(first.ingester.ingest()).toBe(2);
    first.deliveries.claim('github:d1');
    first.deliveries.finish('github:d1', 'processed', 'queued run 1');
    for (const o of open.splice(0)) o.close();
    // The process died after the commit, before the truncate: the spool still holds both records.
    copyFileSync(`${file}.before`, file);

    const restarted = setUp();
    expect(restarted.spool.count).toBe(2);
    expect(restarted.ingester.ingest()).toBe(0);
    expect(restarted.spool.count).toBe(0);
    expect(restarted.deliveries.get('github:d1')?.status).toBe('processed');
    expect(pendingIds(restarted.deliveries)).toEqual(['github:d2']);
    expect(restarted.woken()).toBe(0);
  });

  it('moves what a previous process spooled', () => {
    const first = setUp();
    first.spool.append(delivery(1));
    for (const o of open.splice(0)) o.close();
    const restarted = setUp();
    expect(restarted.ingester.ingest()).toBe(1);
    expect(pendingIds(restarted.deliveries)).toEqual(['github:d1']);
  });
});
