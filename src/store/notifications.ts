import type { DatabaseSync } from 'node:sqlite';
import { opt, type Row } from './rows.ts';

/** Where a notification goes. */
export type NotifyChannel = 'webhook' | 'email';

/** Where a notification stands: waiting for its (next) attempt, delivered, or given up. */
export type NotificationStatus = 'pending' | 'sent' | 'failed';

/** One notification of one event on one channel, as the outbox holds it. */
export interface NotificationRecord {
  id: number;
  /** The event and channel, e.g. `gate:12:webhook`: an event is queued once per channel. */
  key: string;
  event: string;
  channel: NotifyChannel;
  payload: unknown;
  status: NotificationStatus;
  attempts: number;
  nextAt: number;
  lastError?: string;
  createdAt: number;
  sentAt?: number;
}

/** The notification outbox: queued once per event and channel, retried until sent or given up. */
export class Notifications {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Queues a notification; false when its key was queued before (the same event seen again). */
  enqueue(
    n: { key: string; event: string; channel: NotifyChannel; payload: unknown },
    now = Date.now(),
  ): boolean {
    const { changes } = this.#db
      .prepare(
        `INSERT INTO notifications (key, event, channel, payload, status, next_at, created_at)
           VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT(key) DO NOTHING`,
      )
      .run(n.key, n.event, n.channel, JSON.stringify(n.payload), now, now);
    return changes === 1;
  }

  /** Pending notifications whose attempt is due, oldest first. */
  due(now: number, limit = 50): NotificationRecord[] {
    return (
      this.#db
        .prepare(`SELECT * FROM notifications WHERE status = 'pending' AND next_at <= ? ORDER BY id LIMIT ?`)
        .all(now, limit) as Row[]
    ).map(toNotification);
  }

  /** Records an attempt: sent, to be tried again at `nextAt`, or given up (`failed`). */
  attempted(
    id: number,
    outcome:
      | { status: 'sent' }
      | { status: 'pending'; nextAt: number; error: string }
      | { status: 'failed'; error: string },
    now = Date.now(),
  ): void {
    this.#db
      .prepare(
        `UPDATE notifications SET status = ?, attempts = attempts + 1, next_at = ?, last_error = ?,
           sent_at = ? WHERE id = ?`,
      )
      .run(
        outcome.status,
        outcome.status === 'pending' ? outcome.nextAt : now,
        outcome.status === 'sent' ? null : outcome.error,
        outcome.status === 'sent' ? now : null,
        id,
      );
  }

  /** Every notification, newest first. */
  list(limit = 100): NotificationRecord[] {
    return (this.#db.prepare('SELECT * FROM notifications ORDER BY id DESC LIMIT ?').all(limit) as Row[]).map(
      toNotification,
    );
  }

  /** How far the event log has been read for notifications; undefined when it never was. */
  cursor(): number | undefined {
    const row = this.#db.prepare('SELECT event_id FROM notify_cursor WHERE id = 1').get() as Row | undefined;
    return row?.event_id as number | undefined;
  }

  setCursor(eventId: number): void {
    this.#db
      .prepare(
        'INSERT INTO notify_cursor (id, event_id) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET event_id = excluded.event_id',
      )
      .run(eventId);
  }
}

function toNotification(r: Row): NotificationRecord {
  return {
    id: r.id as number,
    key: r.key as string,
    event: r.event as string,
    channel: r.channel as NotifyChannel,
    payload: JSON.parse(r.payload as string),
    status: r.status as NotificationStatus,
    attempts: r.attempts as number,
    nextAt: r.next_at as number,
    lastError: opt(r.last_error),
    createdAt: r.created_at as number,
    sentAt: opt(r.sent_at),
  };
}
