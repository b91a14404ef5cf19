import type { Database } from 'bun:sqlite';
import { statSync } from 'node:fs';
import type { EventStore } from '../../events/store';

/** How often the log's file is checked while the server runs. */
export const CHECK_EVERY_MS = 2_000;

/**
 * Whether the event log can take writes, told honestly: a real write probe (one that needs new
 * pages, so a full disk fails it), the file still being the one opened (deleted or replaced files
 * keep accepting writes that no restart will see), and the outcome of the latest append.
 */
export class LogHealth {
  private readonly inode: number;
  private problem: string | null = null;
  private appendFailure: string | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** What the latest write probe to PostgreSQL found (a node on a shared log); null when it worked. */
  private remoteProblem: string | null = null;
  private probing = false;
  /** When the latest remote probe that worked was started, and when an append last failed. */
  private remoteOkAt = 0;
  private failedAt = 0;

  constructor(
    private readonly db: Database,
    private readonly path: string,
    private readonly store: EventStore,
    private readonly onRecovered: () => void,
    /** A node on a shared log: the write probe to PostgreSQL (the local file is only its replica). */
    private readonly remote?: () => Promise<string | null>,
    /** How often to check; a node's probe is also its heartbeat, so it comes well within the node lease. */
    private readonly everyMs = CHECK_EVERY_MS,
  ) {
    this.inode = statSync(path).ino;
    // Every commit checks the file is still the one opened before its result is acknowledged: the
    // probe's 2 s would let a client be sent finals a deleted file took and no restart will see.
    store.observe({ onFailed: (err) => this.appendFailed(err), verify: () => this.fileProblem() });
  }

  /** Checks once (start refuses a log it cannot write), then every few seconds. */
  start(): string | null {
    const problem = this.probe();
    this.probeRemote();
    this.timer = setInterval(() => this.check(), this.everyMs);
    return problem;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** null when appends work; otherwise what is wrong. */
  status(): string | null {
    return this.problem ?? this.appendFailure;
  }

  /** Runs the checks now and updates the state (also what the timer does). */
  check(): void {
    this.probeRemote();
    const problem = this.probe() ?? this.remoteProblem;
    if (problem && problem !== this.problem) console.error(`event log unavailable: ${problem}`);
    // A shared log has recovered only once a probe started after the failure has worked.
    const remoteOk = !this.remote || this.remoteOkAt > this.failedAt;
    if (!problem && remoteOk && this.status() !== null) {
      console.log('event log writable again');
      this.problem = null;
      this.appendFailure = null;
      this.store.setFence(null);
      this.onRecovered();
      return;
    }
    this.problem = problem;
  }

  /** Starts a probe of PostgreSQL unless one is running; the next check reads what it found. */
  private probeRemote(): void {
    if (!this.remote || this.probing) return;
    this.probing = true;
    const startedAt = performance.now();
    void this.remote()
      .then((problem) => {
        this.remoteProblem = problem;
        if (problem === null) this.remoteOkAt = startedAt;
      })
      .finally(() => (this.probing = false));
  }

  private appendFailed(err: unknown): void {
    this.failedAt = performance.now();
    const message = String(err instanceof Error ? err.message : err);
    if (this.appendFailure === null) console.error(`event log append failed: ${message}`);
    this.appendFailure = `appends are failing: ${message}`;
  }

  /** The database file deleted or replaced under the server (the log then fences itself), or null. */
  private fileProblem(): string | null {
    let ino: number;
    try {
      ino = statSync(this.path).ino;
    } catch {
      return this.gone(`the database file ${this.path} was deleted; restart the server (what it records now would be lost)`);
    }
    return ino === this.inode ? null : this.gone(`the database file ${this.path} was replaced by another file; restart the server`);
  }

  private probe(): string | null {
    const gone = this.fileProblem();
    if (gone) return gone;
    try {
      this.db.transaction(() => {
        this.db.query('INSERT OR REPLACE INTO health_probe (id, at, pad) VALUES (1, ?, zeroblob(16384))').run(new Date().toISOString());
        this.db.query('DELETE FROM health_probe WHERE id = 1').run();
      })();
      return null;
    } catch (err) {
      return `a test write failed: ${String(err instanceof Error ? err.message : err)}`;
    }
  }

  /** A vanished file takes writes that nothing will ever read: refuse appends so clients are told. */
  private gone(reason: string): string {
    this.store.setFence(reason);
    return reason;
  }
}
