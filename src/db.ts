import { Database } from 'bun:sqlite';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { MIGRATIONS, type Migration } from '../migrations';
import type { Config } from './config';

const SYNCHRONOUS_LEVEL: Record<Config['sqliteSynchronous'], number> = { OFF: 0, NORMAL: 1, FULL: 2, EXTRA: 3 };

/**
 * Opens (creating if needed) the SQLite file in WAL mode with the configured durability. `exclusive`
 * (the server's own log): this connection alone may use the file while it is open, and WAL's index
 * lives in this process's memory instead of a memory-mapped `-shm` file. A mapped file that becomes
 * immutable, read-only or truncated under the process kills it with SIGBUS at its next write; the
 * heap cannot. Other processes reach a running server's log through its admin socket.
 */
export function openDatabase(path: string, synchronous: Config['sqliteSynchronous'], o: { exclusive?: boolean } = {}): Database {
  if (path !== ':memory:') mkdirSync(resolve(path, '..'), { recursive: true });
  const db = new Database(path, { create: true, strict: true });
  // It must come before the first access in WAL mode, or the index is already mapped.
  if (o.exclusive) db.exec('PRAGMA locking_mode = EXCLUSIVE');
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(`PRAGMA synchronous = ${synchronous}`);
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA foreign_keys = ON');
  const mode = db.query<{ journal_mode: string }, []>('PRAGMA journal_mode').get()?.journal_mode;
  if (path !== ':memory:' && mode !== 'wal') throw new Error(`SQLite refused WAL mode for ${path} (got ${mode})`);
  if (o.exclusive && db.query<{ locking_mode: string }, []>('PRAGMA locking_mode').get()?.locking_mode !== 'exclusive') throw new Error(`SQLite refused exclusive locking for ${path}`);
  // Durability is a promise to clients (a final is sent only once committed): check it took.
  const sync = db.query<{ synchronous: number }, []>('PRAGMA synchronous').get()?.synchronous;
  if (sync !== SYNCHRONOUS_LEVEL[synchronous]) throw new Error(`SQLite did not accept PRAGMA synchronous = ${synchronous} (reads back ${sync})`);
  return db;
}

/** Applies every numbered migration not yet recorded in `schema_migrations`; returns the names applied. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`);
  const done = new Set(db.query<{ name: string }, []>('SELECT name FROM schema_migrations').all().map((r) => r.name));
  const applied: string[] = [];
  for (const { name, sql } of migrations) {
    if (done.has(name)) continue;
    db.transaction(() => {
      db.exec(sql);
      db.query('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)').run(name, new Date().toISOString());
    })();
    applied.push(name);
  }
  return applied;
}
