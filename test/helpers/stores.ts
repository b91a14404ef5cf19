import { Database } from 'bun:sqlite';
import { openPgLog } from '../../events/pg-log';
import type { Projection } from '../../events/projection';
import { ensureProjections } from '../../events/projections/runner';
import { EventStore } from '../../events/store';
import { migrate } from '../../src/db';
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

const replica = (projections: readonly Projection[]) => {
  const db = new Database(':memory:', { strict: true });
  migrate(db);
  ensureProjections(db, projections);
  return db;
};

const sqlite: StoreKind = {
  name: 'sqlite',
  async fresh() {
    const dbs: Database[] = [];
    let single: Node | undefined;
    return {
      url: '',
      async node(projections, now) {
        // The embedded log has one writer: a second "node" would be a second log, so it is refused.
        if (single) throw new Error('an SQLite log has one node');
        const db = replica(projections);
        dbs.push(db);
        return (single = { db, store: new EventStore(db, projections, now) });
      },
      async close() {
        for (const db of dbs) db.close();
      },
    };
  },
};

const postgres: StoreKind = {
  name: 'postgres',
  async fresh(existing) {
    const url = existing ?? (await freshDatabase());
    const closers: (() => Promise<void>)[] = [];
    return {
      url,
      async node(projections, now) {
        const shared = await openPgLog(url);
        const db = replica(projections);
        const store = new EventStore(db, projections, now, shared);
        const stop = await store.follow();
        closers.push(async () => {
          await stop();
          await shared.close();
          db.close();
        });
        return { db, store };
      },
      async close() {
        for (const c of closers) await c();
      },
    };
  },
};

/** Both stores: every conformance test runs on each. */
export const STORE_KINDS: readonly StoreKind[] = [sqlite, postgres];
