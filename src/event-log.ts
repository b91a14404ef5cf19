import type { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { openPgLog, type SharedLog } from '../events/pg-log';
import type { Projection } from '../events/projection';
import { ensureProjections } from '../events/projections/runner';
import { EventStore } from '../events/store';
import type { Config } from './config';
import { StartupError } from './data-lock';
import { migrate, openDatabase } from './db';

export interface OpenedLog {
  readonly store: EventStore;
  /** The SQLite database every view reads: the log itself, or this node's replica of PostgreSQL's. */
  readonly db: Database;
  readonly path: string;
  /** The PostgreSQL log, when VOXLOG_DATABASE_URL chose it. */
  readonly shared?: SharedLog;
  close(): Promise<void>;
}

export interface LogOptions {
  /** Where the SQLite file (or the replica) lives; null keeps a replica in memory. */
  readonly dataDir: string | null;
  readonly databaseUrl: string | null;
  readonly synchronous: Config['sqliteSynchronous'];
  readonly projections: readonly Projection[];
  readonly log?: (line: string) => void;
  /** Told how far the first catch-up from PostgreSQL has come (events so far, position reached). */
  readonly onCatchUp?: (done: number, last: number) => void;
  /** The server's own log: only this process opens the file while it runs, and no file is memory-mapped (see openDatabase). */
  readonly exclusive?: boolean;
  /** The clock events are stamped with (tests fix it). */
  readonly now?: () => Date;
}

/**
 * Opens the event log the configuration names. SQLite: `<data dir>/voxlog.sqlite`. PostgreSQL:
 * the shared log (migrated), and this node's replica `<data dir>/replica-<log id>.sqlite`, caught
 * up before this returns and then kept current from PostgreSQL's notifications.
 */
export async function openEventLog(o: LogOptions): Promise<OpenedLog> {
  const say = o.log ?? (() => {});
  const shared = o.databaseUrl
    ? await openPgLog(o.databaseUrl, (names) => names.length > 0 && say(`applied PostgreSQL migrations: ${names.join(', ')}`)).catch((err: Error) => {
        throw new StartupError(err.message);
      })
    : undefined;
  const file = shared ? `replica-${shared.logId}.sqlite` : 'voxlog.sqlite';
  const path = o.dataDir === null ? ':memory:' : join(o.dataDir, file);
  const db = openDatabase(path, o.synchronous, { exclusive: o.exclusive });
  try {
    const applied = migrate(db);
    if (applied.length > 0) say(`applied migrations: ${applied.join(', ')}`);
    const rebuilt = ensureProjections(db, o.projections);
    if (rebuilt.length > 0) say(`built projections from the log: ${rebuilt.join(', ')}`);
    const store = new EventStore(db, o.projections, o.now, shared);
    let reported = 0;
    const stopFollowing = await store.follow((done, last) => {
      o.onCatchUp?.(done, last);
      if (done - reported < 50_000) return;
      reported = done;
      say(`catching up with the shared log: ${done} events, at position ${last}`);
    });
    return {
      store,
      db,
      path,
      shared,
      async close() {
        await stopFollowing();
        await shared?.close();
        db.close();
      },
    };
  } catch (err) {
    db.close();
    await shared?.close();
    throw err;
  }
}
