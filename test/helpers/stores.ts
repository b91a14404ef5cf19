import type { Database } from 'bun:sqlite';
import type { Projection } from '../../events/projection';
import type { EventStore } from '../../events/store';
import { openEventLog, type OpenedLog } from '../../src/event-log';
import { freshDatabase } from '../../scripts/postgres';

/** One node's store under test, with the database its views read. */
export interface Node {
  readonly db: Database;
  readonly store: EventStore;
}

/** A fresh, empty log of one kind; `node()` opens a store on it (PostgreSQL: each a separate node). */
export interface LogUnderTest {
  /** PostgreSQL's URL (empty for SQLite). */
  readonly url: string;
  node(projections: readonly Projection[], now?: () => Date): Promise<Node>;
  close(): Promise<void>;
}

export interface StoreKind {
  readonly name: 'sqlite' | 'postgres';
  /** A new empty log (PostgreSQL: a new database, or the one at `url`). */
  fresh(url?: string): Promise<LogUnderTest>;
}

/**
 * Opens nodes the way the server does (`openEventLog`), each with its database in memory: on
 * SQLite that database is the log; on PostgreSQL it is the node's replica.
 */
function logOn(url: string | null): LogUnderTest {
  const opened: OpenedLog[] = [];
  return {
    url: url ?? '',
    async node(projections, now) {
      // The embedded log has one writer: a second "node" would be a second log, so it is refused.
      if (url === null && opened.length > 0) throw new Error('an SQLite log has one node');
      const log = await openEventLog({ dataDir: null, databaseUrl: url, synchronous: 'NORMAL', projections, now });
      opened.push(log);
      return log;
    },
    async close() {
      for (const log of opened) await log.close();
    },
  };
}

const sqlite: StoreKind = { name: 'sqlite', fresh: async () => logOn(null) };
const postgres: StoreKind = { name: 'postgres', fresh: async (existing) => logOn(existing ?? (await freshDatabase())) };

/** Both stores: every conformance test runs on each. */
export const STORE_KINDS: readonly StoreKind[] = [sqlite, postgres];
