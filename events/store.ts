import type { Database } from 'bun:sqlite';
import { Value } from '@sinclair/typebox/value';
import { ConcurrencyError, ProjectionError, UnavailableError, ValidationError } from '../src/errors';
import { newEventId } from './ids';
import type { Projection } from './projection';
import { applyEvent } from './projections/runner';
import { readEvents, toRecorded, type Row } from './read';
import { eventSchemas, schemaVersions, type RecordedEvent, type VoxEvent } from './types';

/** `any`, `no_stream`, `stream_exists`, or the exact version the stream must be at. */
export type ExpectedVersion = 'any' | 'no_stream' | 'stream_exists' | number;

export interface AppendResult {
  /** The stream's version after the append. */
  readonly nextVersion: number;
  /** Global position of the last event of this append. */
  readonly lastPosition: number;
  readonly events: readonly RecordedEvent[];
}

interface Pending {
  readonly streamId: string;
  readonly events: readonly VoxEvent[];
  readonly expected: ExpectedVersion;
  readonly resolve: (r: AppendResult) => void;
  readonly reject: (e: unknown) => void;
}



/** Told how each group commit went (health and metrics). */
export interface StoreHooks {
  readonly onCommitted?: (ms: number) => void;
  readonly onFailed?: (err: unknown) => void;
}

/** Append-only event log in SQLite with inline projections and group commit. */
export class EventStore {
  private queue: Pending[] = [];
  private flushScheduled = false;
  private readonly listeners = new Set<(e: RecordedEvent) => void>();
  /** Why appends are refused outright (the file is gone); null while the log is usable. */
  private fence: string | null = null;
  private readonly observers: StoreHooks[] = [];

  constructor(
    private readonly db: Database,
    private readonly projections: readonly Projection[],
    private readonly now: () => Date = () => new Date(),
  ) {}

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
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
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

  /** Position of the newest event (0 for an empty log). */
  lastPosition(): number {
    return this.db.query<{ p: number | null }, []>('SELECT MAX(position) AS p FROM events').get()?.p ?? 0;
  }

  /** Calls `listener` with every event committed from now on, in order; returns the unsubscribe. */
  subscribe(listener: (e: RecordedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    const outcomes: ({ ok: AppendResult } | { err: unknown })[] = [];
    const t0 = performance.now();
    try {
      this.db.transaction(() => {
        for (const p of batch) {
          this.db.exec('SAVEPOINT append');
          try {
            outcomes.push({ ok: this.write(p) });
            this.db.exec('RELEASE append');
          } catch (err) {
            this.db.exec('ROLLBACK TO append');
            this.db.exec('RELEASE append');
            outcomes.push({ err });
          }
        }
      })();
    } catch (err) {
      for (const o of this.observers) o.onFailed?.(err);
      for (const p of batch) p.reject(err);
      return;
    }
    const ms = performance.now() - t0;
    for (const o of this.observers) o.onCommitted?.(ms);
    batch.forEach((p, i) => {
      const outcome = outcomes[i]!;
      if ('err' in outcome) {
        // A wrong expected version is the caller's; anything else (a full disk, an I/O error) is the log's.
        if (!(outcome.err instanceof ConcurrencyError)) for (const o of this.observers) o.onFailed?.(outcome.err);
        return p.reject(outcome.err);
      }
      p.resolve(outcome.ok);
      for (const e of outcome.ok.events) for (const l of this.listeners) notify(l, e);
    });
  }

  private write(p: Pending): AppendResult {
    const current = this.db.query<{ v: number | null }, [string]>('SELECT MAX(version) AS v FROM events WHERE stream_id = ?').get(p.streamId)?.v ?? 0;
    try {
      checkExpected(p.streamId, p.expected, current);
    } catch (err) {
      // An idempotent retry of an append that did commit: the version moved, but by these very events.
      const retried = this.storedAlready(p, current);
      if (retried) return retried;
      throw err;
    }
    // An event whose id is stored already (a retry) is skipped by the conflict clause, not looked up
    // first: one statement per event on the hot path (every partial is an append).
    const insert = this.db.query<Row, [string, string, number, string, number, string, string, string, string | null]>(
      `INSERT INTO events (id, stream_id, version, type, schema_version, data, metadata, created_at, user_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING *`,
    );
    const createdAt = this.now().toISOString();
    let version = current;
    const recorded: RecordedEvent[] = [];
    for (const e of p.events) {
      const row = insert.get(e.id ?? newEventId(), p.streamId, version + 1, e.type, schemaVersions[e.type], JSON.stringify(e.data), JSON.stringify(e.metadata ?? {}), createdAt, ownerOf(e));
      if (!row) continue;
      version += 1;
      const rec = toRecorded(row);
      this.project(rec);
      recorded.push(rec);
    }
    if (recorded.length === 0 && p.events.length > 0) return this.storedAlready(p, current)!;
    return { nextVersion: version, lastPosition: recorded[recorded.length - 1]?.position ?? 0, events: recorded };
  }

  /** When every event of `p` is stored already (by id): where the last one went; else undefined. */
  private storedAlready(p: Pending, current: number): AppendResult | undefined {
    if (p.events.length === 0 || p.events.some((e) => !e.id)) return undefined;
    const known = p.events.map((e) => this.db.query<Row, [string]>('SELECT * FROM events WHERE id = ?').get(e.id!));
    if (known.some((k) => k === null)) return undefined;
    return { nextVersion: current, lastPosition: known[known.length - 1]!.position, events: [] };
  }

  private project(e: RecordedEvent): void {
    for (const projection of this.projections) {
      try {
        applyEvent(this.db, projection, e);
      } catch (cause) {
        throw new ProjectionError(projection.name, e.type, cause);
      }
    }
  }
}

/** The owner recorded in the `user_id` column, so reads can be filtered by it. */
const ownerOf = (e: VoxEvent): string | null => (typeof e.metadata?.user_id === 'string' ? e.metadata.user_id : null);

function checkExpected(streamId: string, expected: ExpectedVersion, current: number): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current === 0) ||
    (expected === 'stream_exists' && current > 0) ||
    (typeof expected === 'number' && expected === current);
  if (!ok) throw new ConcurrencyError(streamId, expected, current);
}

function notify(listener: (e: RecordedEvent) => void, e: RecordedEvent): void {
  try {
    listener(e);
  } catch (err) {
    // A subscriber's failure is its own; the log and other subscribers carry on.
    console.error('event subscriber failed:', err);
  }
}
