// The jobs service: submission, the durable queue (an XState actor fed from the `jobs`
// projection at start), cancel, restart, retention, and what live followers need.
import type { Database } from 'bun:sqlite';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { extname, join } from 'node:path';
import { createActor } from 'xstate';
import { jobQueueMachine } from '../../actors/job-queue.machine';
import { heldElsewhere, type Claim } from '../../events/claims';
import { JOB_SETTINGS_STREAM, jobStream, newJobId } from '../../events/ids';
import type { EventStore } from '../../events/store';
import { event, type RecordedEvent, type VoxEvent } from '../../events/types';
import { asUploadError, openAudio } from '../audio/input';
import { mayAccess, ownerMeta, type Principal } from '../auth/principal';
import type { JobsConfig } from '../config';
import type { EngineRegistry } from '../engine/registry';
import { ConflictError, NotFoundError, RateLimitedError, UnavailableError } from '../errors';
import { Segmenter } from './chunking/segmenter';
import type { TimedSegment } from './pipeline';
import { ACTIVE_STATUSES, readJob, type JobRecord } from './read';
import { FileFormatter } from '../format/file-formatter';
import type { FormatOptions } from '../format/formatter';
import { runJob } from './runner';
import type { StoredUpload } from './upload';

const RANK = { high: 0, normal: 1, low: 2 } as const;
const SWEEP_EVERY_MS = 3600_000;

export interface SubmitOptions {
  readonly name?: string;
  readonly model?: string;
  readonly language?: string;
  readonly priority: 'high' | 'normal' | 'low';
  readonly source: 'api' | 'web' | 'openai' | 'cli' | 'deepgram';
  /** How the transcript is written (punctuation and case, numbers as figures); absent: as the recogniser gave it. */
  readonly format?: FormatOptions;
}

export interface JobDeps {
  readonly db: Database;
  readonly store: EventStore;
  readonly registry: EngineRegistry;
  readonly defaultModel: string;
  readonly dataDir: string;
  readonly config: JobsConfig;
  /** This node's name: it claims each job it runs, so nodes sharing a log never run one twice. */
  readonly node: string;
  /** How long a claim lasts unrenewed before another node may take the job over. */
  readonly leaseMs: number;
}

export interface JobSettings {
  readonly max_concurrent_jobs: number;
  readonly cleanup_days: number;
}

export class JobService {
  private readonly actor;
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private readonly segmentListeners = new Map<string, Set<(s: readonly TimedSegment[]) => void>>();
  /** Per-job chain: appends and state changes on one job happen one at a time. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private settingsNow: JobSettings;
  /** Writes finished transcripts as text, in a worker of its own started with the first formatted job. */
  private readonly formatter = new FileFormatter();
  private sweeper: Timer | undefined;
  private scanner: Timer | undefined;
  private unsubscribe: () => void = () => {};

  constructor(private readonly deps: JobDeps) {
    this.settingsNow = this.loadSettings();
    const machine = jobQueueMachine.provide({
      actions: {
        run: (_, p) => this.startRun(p.id),
        retrying: (_, p) => void this.append(p.id, [event('JobRetried', { job_id: p.id, cause: 'transient', message: `run failed (${p.reason})`, delay_ms: p.delayMs })]),
        deadLetter: (_, p) => void this.failed(p.id, p.code, `${p.reason} (after ${p.failures} runs)`, false, true),
        abort: (_, p) => this.running.get(p.id)?.abort.abort(),
      },
    });
    this.actor = createActor(machine, { input: { limit: this.settingsNow.max_concurrent_jobs, maxAttempts: deps.config.maxAttempts, retryBaseMs: deps.config.retryMs } });
    this.actor.subscribe({ error: (err) => console.error('the job queue failed:', err) });
  }

  /**
   * Starts the queue with what the log left unfinished (a job that was running starts again once
   * claimed), then follows the log: jobs submitted or restarted on another node join this queue,
   * cancellations reach the node running the job, and a job whose node stopped renewing its claim
   * is taken over. Returns how many jobs were waiting.
   */
  async start(): Promise<number> {
    this.actor.start();
    const open = this.deps.db.query(`SELECT id FROM jobs WHERE status IN ('queued', 'running', 'retrying') ORDER BY submit_position`).all() as { id: string }[];
    for (const j of open) this.enqueue(j.id);
    this.unsubscribe = this.deps.store.subscribe((e) => {
      if (e.type === 'JobSubmitted' || (e.type === 'JobRetried' && e.data.cause === 'requested')) this.enqueue(e.data.job_id);
      if ((e.type === 'JobCancelled' || e.type === 'JobDeleted') && this.running.has(e.data.job_id)) this.actor.send({ type: 'CANCEL', id: e.data.job_id });
    });
    this.scanner = setInterval(() => this.takeOverExpired(), Math.max(250, this.deps.leaseMs / 2));
    this.scanner.unref();
    this.sweeper = setInterval(() => void this.sweep().catch((err) => console.error('retention sweep failed:', err)), SWEEP_EVERY_MS);
    this.sweeper.unref();
    void this.sweep().catch((err) => console.error('retention sweep failed:', err));
    return open.length;
  }

  /** Stops taking work and stops running jobs; the next start runs them again. */
  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    clearInterval(this.scanner);
    this.unsubscribe();
    this.actor.stop();
    for (const r of this.running.values()) r.abort.abort();
    await Promise.all([...this.running.values()].map((r) => r.done));
    Segmenter.closeIdle();
    this.formatter.close();
  }

  /** Probes the upload (415 when it is not audio), files it under the job, records and queues it. */
  async submit(caller: Principal, upload: StoredUpload, o: SubmitOptions): Promise<JobRecord> {
    try {
      const modelId = this.resolveModel(o.model);
      this.refuseOverQueued(caller);
      const input = await openAudio(upload.path, { maxDurationS: this.deps.config.maxAudioS }).catch((err) => {
        throw asUploadError(err, upload.path);
      });
      const id = newJobId();
      const relative = join('jobs', id, `upload${safeExtension(upload.fileName)}`);
      mkdirSync(join(this.deps.dataDir, 'jobs', id), { recursive: true });
      renameSync(upload.path, join(this.deps.dataDir, relative));
      await this.deps.store.append(
        jobStream(id),
        [
          event(
            'JobSubmitted',
            {
              job_id: id,
              user_id: caller.userId,
              name: o.name?.trim() || upload.fileName,
              file_name: upload.fileName,
              size_bytes: upload.size,
              upload: relative,
              model_id: modelId,
              language: o.language ?? null,
              priority: o.priority,
              source: o.source,
              audio: input.description,
              duration_ms: input.durationS === undefined ? null : Math.round(input.durationS * 1000),
              format: o.format && (o.format.punctuate || o.format.numerals) ? { punctuate: o.format.punctuate, numerals: o.format.numerals } : null,
            },
            ownerMeta(caller),
          ),
        ],
        { expectedVersion: 'no_stream' },
      );
      this.enqueue(id);
      return readJob(this.deps.db, id)!;
    } finally {
      rmSync(upload.path, { force: true });
    }
  }

  /** 429 when the caller already has as many jobs waiting or running as one user may (one queue is shared by all). */
  private refuseOverQueued(caller: Principal): void {
    const most = this.deps.config.maxQueuedPerUser;
    const owner = caller.userId === null ? 'user_id IS NULL' : 'user_id = ?';
    const { n } = this.deps.db.query(`SELECT COUNT(*) AS n FROM jobs WHERE ${owner} AND status IN ('queued', 'running', 'retrying')`).get(...(caller.userId === null ? [] : [caller.userId])) as { n: number };
    if (n >= most) throw new RateLimitedError(`you already have ${n} jobs waiting or running; the most one user may have is ${most} (VOXLOG_MAX_QUEUED_JOBS): submit more once some finish`, 30, 'too_many_jobs');
  }

  get(caller: Principal, id: string): JobRecord {
    const record = readJob(this.deps.db, id);
    if (!record || !mayAccess(caller, record.job.user_id)) throw new NotFoundError(`no job ${id}`, 'job_not_found');
    return record;
  }

  /** Cancels the job if it has work ahead, removes its files, and deletes it. */
  async delete(caller: Principal, id: string): Promise<void> {
    await this.locked(id, async () => {
      const { job } = this.get(caller, id);
      const owner = job.user_id === null ? {} : { user_id: job.user_id };
      const cancelled = ACTIVE_STATUSES.includes(job.status) ? [event('JobCancelled', { job_id: id, reason: `deleted by ${caller.name}` }, owner)] : [];
      await this.deps.store.append(jobStream(id), [...cancelled, event('JobDeleted', { job_id: id }, owner)], { expectedVersion: 'stream_exists' });
    });
    this.actor.send({ type: 'CANCEL', id });
    await this.running.get(id)?.done;
    rmSync(join(this.deps.dataDir, 'jobs', id), { recursive: true, force: true });
  }

  /** Runs a finished job again from its upload; a job with work still ahead, or whose files expired, is a conflict. */
  async restart(caller: Principal, id: string): Promise<JobRecord> {
    await this.locked(id, async () => {
      const { job } = this.get(caller, id);
      if (ACTIVE_STATUSES.includes(job.status)) throw new ConflictError(`job ${id} is ${job.status}; it can be restarted once it has finished (DELETE cancels it)`, 'job_active');
      if (job.status === 'expired') throw new ConflictError(`job ${id} expired and its upload was removed; submit the file again`, 'job_expired');
      await this.deps.store.append(jobStream(id), [event('JobRetried', { job_id: id, cause: 'requested', message: 'restarted on request', delay_ms: 0 }, ownerMeta(caller))]);
    });
    this.enqueue(id);
    return this.get(caller, id);
  }

  settings(): JobSettings {
    return this.settingsNow;
  }

  /** Changes settings at runtime (recorded in the log, so they outlive a restart). */
  async updateSettings(caller: Principal, patch: Partial<JobSettings>): Promise<JobSettings> {
    await this.deps.store.append(JOB_SETTINGS_STREAM, [event('JobSettingsChanged', patch, ownerMeta(caller))]);
    this.settingsNow = { ...this.settingsNow, ...patch };
    if (patch.max_concurrent_jobs !== undefined) this.actor.send({ type: 'SET_LIMIT', limit: patch.max_concurrent_jobs });
    return this.settingsNow;
  }

  /** Removes uploads and results of jobs finished more than `cleanup_days` ago; returns how many expired. */
  async sweep(now = Date.now()): Promise<number> {
    const cutoff = new Date(now - this.settingsNow.cleanup_days * 86_400_000).toISOString();
    const old = this.deps.db.query(`SELECT id FROM jobs WHERE status IN ('completed', 'failed', 'cancelled') AND finished_at < ?`).all(cutoff) as { id: string }[];
    for (const { id } of old) {
      if (await this.append(id, [event('JobExpired', { job_id: id, retention_days: this.settingsNow.cleanup_days })])) rmSync(join(this.deps.dataDir, 'jobs', id), { recursive: true, force: true });
    }
    return old.length;
  }

  /** Hears every event on the job's stream from now on. */
  watch(id: string, listener: (e: RecordedEvent) => void): () => void {
    const stream = jobStream(id);
    return this.deps.store.subscribe((e) => e.streamId === stream && listener(e));
  }

  /** Hears the job's segments in file order while it runs (the OpenAI stream uses it). */
  onSegments(id: string, listener: (s: readonly TimedSegment[]) => void): () => void {
    const set = this.segmentListeners.get(id) ?? new Set();
    this.segmentListeners.set(id, set.add(listener));
    return () => void (set.delete(listener), set.size === 0 && this.segmentListeners.delete(id));
  }

  /** Resolves with the job once it has finished (completed, failed, cancelled, deleted: then null). */
  finished(id: string): Promise<JobRecord | null> {
    return new Promise((resolve) => {
      const check = () => {
        const r = readJob(this.deps.db, id);
        if (r && ACTIVE_STATUSES.includes(r.job.status)) return false;
        stop();
        resolve(r);
        return true;
      };
      const stop = this.watch(id, () => void check());
      check();
    });
  }

  /** Waits for the job; a compatible API's answer needs it completed, anything else is a 503 saying why. */
  async completed(id: string): Promise<JobRecord> {
    const done = await this.finished(id);
    if (!done || done.job.status !== 'completed') throw new UnavailableError(`transcription failed: ${done?.job.error?.message ?? done?.job.status ?? 'the job was deleted'}`, done?.job.error?.code ?? 'transcription_failed');
    return done;
  }

  private resolveModel(requested: string | undefined): string {
    const id = requested ?? this.deps.defaultModel;
    // Refused at submission, not accepted and failed later: a job can only run on a model that is here.
    this.deps.registry.requireRunnable(id);
    return id;
  }

  private enqueue(id: string): void {
    const r = readJob(this.deps.db, id);
    if (!r) return;
    this.actor.send({ type: 'ENQUEUE', job: { id, rank: RANK[r.job.priority], seq: r.submitPosition }, failures: r.failures });
  }

  /** Queues every unfinished job another node claimed and stopped renewing (the claim decides who runs it). */
  private takeOverExpired(): void {
    const now = new Date().toISOString();
    const stale = this.deps.db
      .query(`SELECT id FROM jobs WHERE status IN ('queued', 'running', 'retrying') AND claimed_by IS NOT NULL AND claimed_by != ? AND lease_until < ?`)
      .all(this.deps.node, now) as { id: string }[];
    for (const { id } of stale) if (!this.running.has(id)) this.enqueue(id);
  }

  /**
   * Claims the job for this node: refused while another node's lease runs; a job the log shows
   * running (here before a restart, or on a node gone quiet) goes back to the queue first. Exactly
   * one of several nodes claiming at once wins (the append is at the stream's exact version).
   */
  private async claim(id: string): Promise<boolean> {
    const row = this.claimOf(id);
    if (!row || !ACTIVE_STATUSES.includes(row.status as JobRecord['job']['status']) || heldElsewhere(row, this.deps.node)) return false;
    const holder = row.claimed_by;
    const why = holder !== null && holder !== this.deps.node ? `node ${holder} stopped renewing its claim` : 'the server stopped during the run';
    const interrupted = row.status === 'running' ? [event('JobRetried', { job_id: id, cause: 'interrupted', message: why, delay_ms: 0 })] : [];
    return this.append(id, [...interrupted, this.claimEvent(id, false)], true);
  }

  /** The job's status and who claims it, as this node's replica has them. */
  private claimOf(id: string): (Claim & { status: string }) | null {
    return this.deps.db.query('SELECT status, claimed_by, lease_until FROM jobs WHERE id = ?').get(id) as (Claim & { status: string }) | null;
  }

  private claimEvent(id: string, renewal: boolean): VoxEvent {
    return event('JobClaimed', { job_id: id, node: this.deps.node, lease_ms: this.deps.leaseMs, renewal });
  }

  private startRun(id: string): void {
    const abort = new AbortController();
    const done = (async () => {
      if (!(await this.claim(id))) return void this.actor.send({ type: 'FINISHED', id });
      const record = readJob(this.deps.db, id);
      if (!record || !ACTIVE_STATUSES.includes(record.job.status)) return void this.actor.send({ type: 'FINISHED', id });
      // The claim lasts while this node renews it; a renewal that cannot be stored means it was lost.
      const renew = setInterval(() => void this.append(id, [this.claimEvent(id, true)]).then((ok) => ok || abort.abort()), this.deps.leaseMs / 3);
      abort.signal.addEventListener('abort', () => clearInterval(renew));
      const deps = { registry: this.deps.registry, formatter: this.formatter, dataDir: this.deps.dataDir, maxChunkMs: this.deps.config.maxChunkMs, maxAudioS: this.deps.config.maxAudioS, timeoutMs: this.deps.config.timeoutMs, append: this.append };
      const outcome = await runJob(deps, record, abort.signal, (s) => this.segmentListeners.get(id)?.forEach((l) => l(s))).catch((err) => ({ kind: 'failed', code: 'internal', message: String(err), permanent: false }) as const);
      if (outcome.kind === 'failed' && !outcome.permanent) return void (clearInterval(renew), this.actor.send({ type: 'FAILED_TRANSIENT', id, code: outcome.code, reason: outcome.message }));
      clearInterval(renew);
      if (outcome.kind === 'stopped') console.log(`job ${id}: run stopped before it finished (cancelled, deleted, or the server is stopping)`);
      if (outcome.kind === 'failed') await this.failed(id, outcome.code, outcome.message, true, false);
      this.actor.send({ type: 'FINISHED', id });
    })()
      .catch((err) => console.error(`job ${id} run failed:`, err))
      .finally(() => this.running.delete(id));
    this.running.set(id, { abort, done });
  }

  private async failed(id: string, code: string, message: string, permanent: boolean, deadLetter: boolean): Promise<void> {
    const attempt = Math.max(1, readJob(this.deps.db, id)?.job.attempts ?? 1);
    await this.append(id, [event('JobFailed', { job_id: id, attempt, code, message, permanent, dead_letter: deadLetter })]);
  }

  /**
   * Appends to a job's stream unless the job is gone (false then); each event names the job's owner,
   * for the owner-filtered event feed. Appends are at the stream's exact version: one that finds the
   * job changed by another node (cancelled, or its claim taken over) is refused, and a run whose
   * claim passed to another node stops.
   */
  private readonly append = (id: string, events: VoxEvent[], claiming = false): Promise<boolean> =>
    this.locked(id, async () => {
      const r = readJob(this.deps.db, id);
      if (!r || r.job.status === 'cancelled') return false;
      if (!claiming && this.running.has(id) && this.claimOf(id)?.claimed_by !== this.deps.node) {
        this.running.get(id)!.abort.abort();
        return false;
      }
      const owned = r.job.user_id === null ? events : events.map((e) => ({ ...e, metadata: { ...e.metadata, user_id: r.job.user_id } }) as VoxEvent);
      await this.deps.store.append(jobStream(id), owned, { expectedVersion: this.deps.store.streamVersion(jobStream(id)) });
      return true;
    }).catch((err) => {
      console.error(`could not log ${events.map((e) => e.type).join(', ')} for job ${id}: ${String(err)}`);
      return false;
    });

  private locked<T>(id: string, f: () => Promise<T>): Promise<T> {
    const next = (this.locks.get(id) ?? Promise.resolve()).then(f, f);
    const tail = next.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => this.locks.get(id) === tail && this.locks.delete(id));
    return next;
  }

  private loadSettings(): JobSettings {
    const initial: JobSettings = { max_concurrent_jobs: this.deps.config.maxConcurrent, cleanup_days: this.deps.config.cleanupDays };
    return this.deps.store.readStream(JOB_SETTINGS_STREAM).reduce<JobSettings>((s, e) => (e.type === 'JobSettingsChanged' ? { ...s, ...e.data } : s), initial);
  }
}

/** The upload's extension, when it is a plain one (ffmpeg probes by content; this is for people). */
const safeExtension = (name: string): string => {
  const ext = extname(name).toLowerCase();
  return /^\.[a-z0-9]{1,8}$/.test(ext) ? ext : '';
};
