import { Database } from 'bun:sqlite';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Startup refused for a reason the operator can fix; main prints the message and exits 1. */
export class StartupError extends Error {}

/**
 * Holds an exclusive lock on `<dataDir>/voxlog.lock` for the life of the server, so a second server
 * on the same data directory is refused instead of writing to the same log. It is an SQLite write
 * lock (an OS file lock underneath): the kernel drops it when the process dies, so a crash leaves no
 * stale lock to clean up.
 */
export function lockDataDir(dataDir: string): { release(): void } {
  mustBeWritable(dataDir);
  const path = join(dataDir, 'voxlog.lock');
  const db = new Database(path, { create: true });
  try {
    db.exec('PRAGMA busy_timeout = 0');
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if (/locked|busy/i.test(String(err))) {
      throw new StartupError(`another voxlog server is already running on the data directory ${dataDir} (it holds ${path}); stop it, or set VOXLOG_DATA_DIR to another directory`);
    }
    throw new StartupError(`cannot lock the data directory ${dataDir}: ${String(err)}`);
  }
  return {
    release: () => {
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

/** Refuses a data directory that cannot be created or written, before anything is opened in it. */
function mustBeWritable(dataDir: string): void {
  const probe = join(dataDir, `.write-test-${process.pid}`);
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(probe, 'voxlog');
    rmSync(probe);
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    throw new StartupError(`the data directory ${dataDir} is not writable (${code}); voxlog keeps its event log there: fix its permissions or set VOXLOG_DATA_DIR`);
  }
}
