import type { Database } from 'bun:sqlite';
import { Value } from '@sinclair/typebox/value';
import { ConcurrencyError, UnavailableError, ValidationError } from '../src/errors';
import type { SharedLog } from './pg-log';
import type { Projection } from './projection';
import { readEvents, toRecorded, type Row } from './read';
import { eventSchemas, type RecordedEvent, type VoxEvent } from './types';
import { streamVersion, writeAppend, writeCommitted, type AppendRequest, type AppendResult, type ExpectedVersion } from './writer';

export type { AppendResult, ExpectedVersion } from './writer';

interface Pending extends AppendRequest {
  readonly resolve: (r: AppendResult) => void;
  readonly reject: (e: unknown) => void;
}

type Outcome = { ok: AppendResult } | { err: unknown };

/** Told how each group commit went (health and metrics). */
export interface StoreHooks {
  readonly onCommitted?: (ms: number) => void;
  readonly onFailed?: (err: unknown) => void;
  /**
   * Asked after each commit to the SQLite file, before anyone is told it committed: why the file
   * that took it cannot be trusted to keep it (deleted, replaced), or null. A problem fails the batch.
   */
  readonly verify?: () => string | null;
}

/** How many committed events a node fetches from PostgreSQL per round while catching up. */
const CATCH_UP_BATCH = 2_000;

/**
 * Append-only event log with inline projections and group commit. On its own it is the SQLite
 * file. With a `SharedLog` (PostgreSQL) the SQLite database is this node's replica: appends are
 * decided and committed in PostgreSQL under its append lock, and every committed event (this
 * node's or another's) enters the replica, with its projections, in position order.
 */
export class EventStore {
  private queue: Pending[] = [];
  private flushScheduled = false;
  private readonly listeners = new Set<(e: RecordedEvent) => void>();
  /** Why appends are refused outright (the file is gone); null while the log is usable. */
  private fence: string | null = null;
  private readonly observers: StoreHooks[] = [];
  /** Shared mode: flushes and catch-ups run one at a time, in this chain. */
  private serial: Promise<unknown> = Promise.resolve();
  /** Shared mode: the position the replica holds everything up to. */
  private replicated: number;

  constructor(
    private readonly db: Database,
    private readonly projections: readonly Projection[],
    private readonly now: () => Date = () => new Date(),
    private readonly shared?: SharedLog,
  ) {
    this.replicated = this.lastPosition();
  }

  /** Tells `hooks` how every group commit goes from now on (health and metrics both watch). */
  observe(hooks: StoreHooks): void {
    this.observers.push(hooks);
  }

  /** Refuses every append with `reason` until called with null (the log cannot be trusted to keep them). */
  setFence(reason: string | null): void {
    this.fence = reason;
  }

  /**
   * Appends events to one stream. Appends made in the same event-loop turn share one transaction;
   * the promise settles only after that transaction has committed.
   */
  append(streamId: string, events: readonly VoxEvent[], options: { expectedVersion?: ExpectedVersion } = {}): Promise<AppendResult> {
    for (const e of events) {
      const schema = eventSchemas[e.type];
      if (!schema) return Promise.reject(new ValidationError(`unknown event type ${e.type}`));
      if (!Value.Check(schema, e.data)) {
        const first = [...Value.Errors(schema, e.data)][0];
        return Promise.reject(new ValidationError(`${e.type} data invalid at ${first?.path || '/'}: ${first?.message}`));
      }
    }
    if (this.fence !== null) return Promise.reject(new UnavailableError(this.fence, 'log_unavailable'));
    return new Promise((resolve, reject) => {
      this.queue.push({ streamId, events, expected: options.expectedVersion ?? 'any', resolve, reject });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      if (!this.shared) return void setImmediate(() => this.flush());
      // Everything appended while the previous PostgreSQL commit was in flight goes in the next one.
      this.exclusive(async () => {
        await new Promise((r) => setImmediate(r));
        await this.flushShared();
      });
    });
  }

  /** Events of one stream in version order, optionally between two versions (inclusive). */
  readStream(streamId: string, range: { from?: number; to?: number } = {}): RecordedEvent[] {
    const rows = this.db
      .query<Row, [string, number, number]>('SELECT * FROM events WHERE stream_id = ? AND version BETWEEN ? AND ? ORDER BY version')
      .all(streamId, range.from ?? 1, range.to ?? Number.MAX_SAFE_INTEGER);
    return rows.map(toRecorded);
  }

  /** Events of all streams after a global position, in commit order. */
  readAll(after = 0, limit = 1000, types?: readonly string[], owner?: string): RecordedEvent[] {
    return readEvents(this.db, { after, limit, types, owner });
  }

  /** The stream's version (0 when it has no events). */
  streamVersion(streamId: string): number {
    return streamVersion(this.db, streamId);
  }

  /** Position of the newest event (0 for an empty log). */
  lastPosition(): number {
    return this.db.query<{ p: number | null }, []>('SELECT MAX(position) AS p FROM events').get()?.p ?? 0;
  }

  /** Calls `listener` with every event committed from now on, in order; returns the unsubscribe. */
  subscribe(listener: (e: RecordedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Shared mode: brings the replica up to what PostgreSQL has committed, then keeps it there from
   * every node's notifications. Resolves once caught up; returns the stop.
   */
  async follow(onProgress?: (done: number, last: number) => void): Promise<() => Promise<void>> {
    if (!this.shared) return async () => {};
    await this.catchUp(onProgress);
    const stop = await this.shared.follow(() => void this.catchUp().catch((err) => console.error('could not follow the shared log:', err)));
    // Notifications are the fast path; a lost one (a dropped LISTEN connection) is caught within a second.
    const poll = setInterval(() => void this.catchUp().catch(() => {}), 1_000);
    return async () => {
      clearInterval(poll);
      await stop();
      await this.serial;
    };
  }

  /** Shared mode: applies everything committed after the replica's position. */
  catchUp(onProgress?: (done: number, last: number) => void): Promise<void> {
    return this.exclusive(async () => {
      let done = 0;
      for (;;) {
        const rows = await this.shared!.readAfter(this.replicated, CATCH_UP_BATCH);
        if (rows.length === 0) return;
        this.applyCommitted(rows);
        done += rows.length;
        onProgress?.(done, this.replicated);
      }
    });
  }

  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.serial.then(f);
    this.serial = run.catch(() => undefined);
    return run;
  }

  private take(): Pending[] {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    return batch;
  }

  private flush(): void {
    const batch = this.take();
    const t0 = performance.now();
    let outcomes: Outcome[];
    try {
      outcomes = this.db.transaction(() => this.writeAll(batch, []))();
    } catch (err) {
      return this.failed(batch, err);
    }
    for (const o of this.observers) {
      const problem = o.verify?.();
      if (problem !== null && problem !== undefined) return this.failed(batch, new UnavailableError(problem, 'log_unavailable'));
    }
    this.settle(batch, outcomes, performance.now() - t0, true);
  }

  /**
   * Shared mode: under PostgreSQL's append lock the replica takes what other nodes committed, then
   * the batch is written into it as a trial (versions checked, projections run) and rolled back;
   * the rows the trial wrote are committed to PostgreSQL, and only then enter the replica. A
   * reader of the replica never sees an event PostgreSQL might not keep.
   */
  private async flushShared(): Promise<void> {
    const batch = this.take();
    if (batch.length === 0) return;
    const t0 = performance.now();
    let outcomes: Outcome[] = [];
    let rows: Row[] = [];
    try {
      await this.shared!.appendLocked(this.replicated, (missed) => {
        this.applyCommitted(missed);
        rows = [];
        this.db.exec('BEGIN');
        try {
          outcomes = this.writeAll(batch, rows);
        } finally {
          this.db.exec('ROLLBACK');
        }
        return rows;
      });
    } catch (err) {
      return this.failed(batch, err);
    }
    this.applyCommitted(rows);
    this.settle(batch, outcomes, performance.now() - t0, false);
  }

  /** Writes each append under its own savepoint, so one refused append leaves the others in the batch. */
  private writeAll(batch: readonly Pending[], written: Row[]): Outcome[] {
    const createdAt = this.now().toISOString();
    return batch.map((p) => {
      this.db.exec('SAVEPOINT append');
      const before = written.length;
      try {
        const ok = writeAppend(this.db, this.projections, createdAt, p, written);
        this.db.exec('RELEASE append');
        return { ok };
      } catch (err) {
        this.db.exec('ROLLBACK TO append');
        this.db.exec('RELEASE append');
        written.length = before;
        return { err };
      }
    });
  }

  /** Shared mode: committed rows enter the replica (in one transaction) and reach subscribers, in order. */
  private applyCommitted(rows: readonly Row[]): void {
    const fresh = rows.filter((r) => r.position > this.replicated);
    if (fresh.length === 0) return;
    const recorded = this.db.transaction(() =>
      fresh.map((row, i) => {
        const expected = this.replicated + i + 1;
        if (row.position !== expected) throw new Error(`the shared log skipped from position ${expected - 1} to ${row.position}`);
        return writeCommitted(this.db, this.projections, row);
      }),
    )();
    this.replicated = fresh[fresh.length - 1]!.position;
    for (const e of recorded) for (const l of this.listeners) notify(l, e);
  }

  private failed(batch: readonly Pending[], err: unknown): void {
    for (const o of this.observers) o.onFailed?.(err);
    for (const p of batch) p.reject(err);
  }

  private settle(batch: readonly Pending[], outcomes: readonly Outcome[], ms: number, notifyHere: boolean): void {
    for (const o of this.observers) o.onCommitted?.(ms);
    batch.forEach((p, i) => {
      const outcome = outcomes[i]!;
      if ('err' in outcome) {
        // A wrong expected version is the caller's; anything else (a full disk, an I/O error) is the log's.
        if (!(outcome.err instanceof ConcurrencyError)) for (const o of this.observers) o.onFailed?.(outcome.err);
        return p.reject(outcome.err);
      }
      p.resolve(outcome.ok);
      if (notifyHere) for (const e of outcome.ok.events) for (const l of this.listeners) notify(l, e);
    });
  }
}

function notify(listener: (e: RecordedEvent) => void, e: RecordedEvent): void {
  try {
    listener(e);
  } catch (err) {
    // A subscriber's failure is its own; the log and other subscribers carry on.
    console.error('event subscriber failed:', err);
  }
}
