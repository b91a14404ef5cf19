import { SQL } from 'bun';
import { PG_MIGRATIONS, type Migration } from '../migrations';
import type { Row } from './read';

/** The channel every append notifies, with the position of its last event. */
const CHANNEL = 'voxlog_events';
/** Advisory lock keys (any two constants of ours): appends, and migrations. */
export const APPEND_LOCK = 7_401_001;
const MIGRATE_LOCK = 7_401_002;

/**
 * The part of the event log that lives in PostgreSQL and is shared by every node: the ordered rows,
 * the append lock, and the notifications. Each node's `EventStore` keeps a local SQLite replica of
 * the rows and its projections (`events/store.ts`), so everything that reads stays synchronous.
 */
export interface SharedLog {
  /** Names this log; a node's replica file carries it, so a replica never mixes two logs. */
  readonly logId: string;
  /**
   * Holds the append lock and hands `write` the events committed since `after` (none can commit
   * while the lock is held); inserts the rows `write` returns and commits. Rows are committed in
   * position order by construction: the next position is only ever chosen under the lock.
   */
  appendLocked(after: number, write: (missed: Row[]) => Row[]): Promise<void>;
  /** Committed events after `after`, in position order. */
  readAfter(after: number, limit: number): Promise<Row[]>;
  /** Calls `wake` after every commit on any node (and after the subscription is (re)established). */
  follow(wake: () => void): Promise<() => Promise<void>>;
  /** null when a write to PostgreSQL works now; otherwise why not. Each probe is the node's sign of life. */
  probe(node: string): Promise<string | null>;
  /** Nodes whose latest probe is older than `ms`: gone, as far as the others can tell. */
  silentNodes(ms: number): Promise<string[]>;
  close(): Promise<void>;
}

type PgRow = Omit<Row, 'position'> & { position: string | number };

const fromPg = (r: PgRow): Row => ({ ...r, position: Number(r.position) });

/** Opens the shared log at `url`, applying its migrations (one node at a time). */
export async function openPgLog(url: string, onMigrated: (names: string[]) => void = () => {}): Promise<SharedLog> {
  const sql = new SQL(url, { max: 4, connectionTimeout: 10 });
  try {
    onMigrated(await migratePg(sql));
    const [identity] = await sql<{ id: string }[]>`SELECT id FROM log_identity`;
    return pgLog(sql, identity!.id);
  } catch (err) {
    await sql.close();
    throw new Error(`cannot use the PostgreSQL log at ${redact(url)}: ${(err as Error).message}`);
  }
}

function pgLog(sql: SQL, logId: string): SharedLog {
  return {
    logId,
    async appendLocked(after, write) {
      await sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${APPEND_LOCK})`;
        const missed = (await tx<PgRow[]>`SELECT * FROM events WHERE position > ${after} ORDER BY position`).map(fromPg);
        const rows = write(missed);
        if (rows.length === 0) return;
        await tx`INSERT INTO events ${tx(rows)}`;
        await tx`SELECT pg_notify(${CHANNEL}, ${String(rows[rows.length - 1]!.position)})`;
      });
    },
    async readAfter(after, limit) {
      return (await sql<PgRow[]>`SELECT * FROM events WHERE position > ${after} ORDER BY position LIMIT ${limit}`).map(fromPg);
    },
    async follow(wake) {
      const subscription = await sql.listen(CHANNEL, wake, wake);
      return () => subscription.unlisten();
    },
    async probe(node) {
      try {
        await sql`INSERT INTO health_probe (node, at) VALUES (${node}, now()) ON CONFLICT (node) DO UPDATE SET at = now()`;
        return null;
      } catch (err) {
        return `a test write to PostgreSQL failed: ${(err as Error).message}`;
      }
    },
    async silentNodes(ms) {
      return (await sql<{ node: string }[]>`SELECT node FROM health_probe WHERE at < now() - make_interval(secs => ${ms / 1000})`).map((r) => r.node);
    },
    close: () => sql.close({ timeout: 2 }),
  };
}

/**
 * Applies every migration in `migrations/postgres/` not yet recorded, in one transaction that holds
 * an advisory lock: nodes starting together apply them once, one after the other.
 */
export async function migratePg(sql: SQL, migrations: readonly Migration[] = PG_MIGRATIONS): Promise<string[]> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATE_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
    const done = new Set((await tx<{ name: string }[]>`SELECT name FROM schema_migrations`).map((r) => r.name));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      await tx.unsafe(m.sql);
      await tx`INSERT INTO schema_migrations (name) VALUES (${m.name})`;
      applied.push(m.name);
    }
    return applied;
  });
}

/** The URL without its password, for messages. */
export const redact = (url: string): string => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
