import { createActor, type Actor } from 'xstate';
import { engineMachine } from '../../actors/engine.machine';
import { BYTES_PER_SAMPLE, type Encoding } from '../audio/codecs';
import type { EngineHostKind } from '../config';
import { FinalWriter } from '../format/final-writer';
import { startHost, type EngineHost } from './hosts';
import type { FromWorker, LoadSpec, StreamEvent, StreamOptions, ToWorker } from './protocol';

export type SlotStatus = 'loading' | 'ready' | 'crashed' | 'failed' | 'stopped';

interface OpenStream {
  readonly listener: (e: StreamEvent) => void;
  readonly options: StreamOptions;
  /** Session audio ms posted to the worker so far: where a restarted worker resumes the stream. */
  audioMs: number;
  /** Audio posted and not yet decoded: the stream's queue in the worker. */
  pendingMs: number;
}

export interface SlotHooks {
  readonly onReady?: (slot: WorkerSlot, loadMs: number, restarts: number, downMs: number) => void;
  readonly onCrashed?: (slot: WorkerSlot, message: string, restarts: number, streams: number) => void;
  readonly onFailed?: (slot: WorkerSlot, message: string) => void;
  readonly onStatus?: () => void;
  /** Audio decoded and the worker time it took (for real-time-factor metrics). */
  readonly onDecoded?: (audioMs: number, busyMs: number, batch: number) => void;
  /** A final was written as text, taking `ms` from its arrival from the engine. */
  readonly onFormatted?: (ms: number) => void;
}

/**
 * One engine host (a Bun Worker or a child process) running a model, supervised by an engine actor:
 * restarted with backoff after a crash, with its streams reopened where their audio left off.
 * Audio goes straight to the host, never through the actor's mailbox.
 */
export class WorkerSlot {
  private worker: EngineHost | undefined;
  private readonly streams = new Map<string, OpenStream>();
  /** Messages posted while the worker is (re)loading; sent once it is ready. */
  private backlog: ToWorker[] = [];
  private readonly actor: Actor<typeof engineMachine>;
  private crashedAt = 0;
  /** Settles when the latest host has ended. */
  private ended: Promise<void> = Promise.resolve();
  private endedNow: (() => void) | undefined;
  /** The current host has decoded audio (ends the supervisor's crash streak once per host). */
  private healthy = false;
  /** The engine's messages pass through it: a stream's finals are written as text first when it asks. */
  private readonly writer = new FinalWriter((m) => this.onWorkerMessage(m));

  constructor(
    readonly modelId: string,
    readonly index: number,
    private readonly spec: LoadSpec,
    private readonly host: EngineHostKind,
    private readonly hooks: SlotHooks,
  ) {
    const machine = engineMachine.provide({
      actions: {
        startWorker: () => this.spawn(),
        stopWorker: () => this.kill(),
        announceReady: ({ context }) => this.onReady(context.loadMs ?? 0, context.restarts),
        announceCrash: ({ context }, { message }) => this.onCrash(message, context.restarts),
      },
    });
    this.actor = createActor(machine, { input: { modelId } });
    this.actor.subscribe({
      next: (s) => {
        if (s.matches('failed')) this.onFailed(s.context.lastError ?? 'failed');
        hooks.onStatus?.();
      },
      error: (err) => console.error(`engine ${modelId} worker ${index} supervisor failed:`, err),
    });
    this.actor.start();
  }

  get status(): SlotStatus {
    return this.actor.getSnapshot().value as SlotStatus;
  }

  get lastError(): string | null {
    return this.actor.getSnapshot().context.lastError;
  }

  get load(): number {
    return this.streams.size;
  }

  /** The engine process's id with VOXLOG_ENGINE_HOST=process, else null. */
  get pid(): number | null {
    return this.worker?.pid ?? null;
  }

  open(streamId: string, originMs: number, options: StreamOptions, listener: (e: StreamEvent) => void): void {
    this.streams.set(streamId, { listener, options, audioMs: originMs, pendingMs: 0 });
    this.writer.open(streamId, options.format);
    this.post({ type: 'open', streamId, originMs, options });
  }

  feed(streamId: string, seq: number, pcm: Uint8Array<ArrayBuffer>, encoding: Encoding, sampleRate: number): void {
    const s = this.streams.get(streamId);
    const ms = (pcm.length * 1000) / BYTES_PER_SAMPLE[encoding] / sampleRate;
    if (s) (s.audioMs += ms), (s.pendingMs += ms);
    this.post({ type: 'audio', streamId, seq, pcm, encoding, sampleRate });
  }

  /** Milliseconds of a stream's audio waiting in (or on the way to) the worker. */
  backlogMs(streamId: string): number {
    return this.streams.get(streamId)?.pendingMs ?? 0;
  }

  post(msg: ToWorker): void {
    if (this.worker && this.status === 'ready') this.worker.send(msg);
    else this.backlog.push(msg);
  }

  /** Makes the worker exit with a failure, as a dying one would, so the supervisor restarts it (operations and tests). */
  crashWorker(): void {
    this.worker?.send({ type: 'exit', code: 1 });
  }

  /** Stops supervising and ends the worker; resolves once its thread is gone. */
  stop(): Promise<void> {
    this.actor.send({ type: 'STOP' });
    return this.ended;
  }

  private spawn(): void {
    const host = startHost(this.host, {
      message: (m) => this.writer.post(m),
      exited: (message) => this.worker === host && this.actor.send({ type: 'WORKER_EXITED', message }),
    });
    this.worker = host;
    this.healthy = false;
    this.ended = new Promise((resolve) => (this.endedNow = resolve));
    host.send({ type: 'load', spec: this.spec });
  }

  /** Asks the host to exit after the message it is handling (see EngineHost.exit). */
  private kill(): void {
    const host = this.worker;
    this.worker = undefined;
    const done = this.endedNow;
    if (host) void host.exit(0).then(done);
    else done?.();
  }

  private onWorkerMessage(m: FromWorker): void {
    switch (m.type) {
      case 'ready':
        return void this.actor.send({ type: 'WORKER_READY', loadMs: m.loadMs });
      case 'load_failed':
        return void this.actor.send({ type: 'WORKER_LOAD_FAILED', message: m.message });
      case 'closed': {
        // Forget the stream before telling its session: the session may reopen the same id at once.
        const stream = this.streams.get(m.streamId);
        this.streams.delete(m.streamId);
        return stream?.listener(m);
      }
      case 'consumed': {
        if (!this.healthy) (this.healthy = true), this.actor.send({ type: 'WORKER_HEALTHY' });
        const stream = this.streams.get(m.streamId);
        if (stream) stream.pendingMs = Math.max(0, stream.pendingMs - m.audioMs);
        return this.hooks.onDecoded?.(m.audioMs, m.busyMs, m.batch);
      }
      case 'final':
        if (m.formatMs !== undefined) this.hooks.onFormatted?.(m.formatMs);
        return this.streams.get(m.streamId)?.listener(m);
      case 'partial':
      case 'speech_started':
      case 'utterance_end':
      case 'finalized':
      case 'stream_error':
        return this.streams.get(m.streamId)?.listener(m);
      default: {
        const never: never = m;
        console.error('unknown worker message', never);
      }
    }
  }

  private onReady(loadMs: number, restarts: number): void {
    const pending = this.backlog;
    this.backlog = [];
    for (const msg of pending) this.worker!.send(msg);
    this.hooks.onReady?.(this, loadMs, restarts, this.crashedAt ? Math.round(performance.now() - this.crashedAt) : 0);
    this.crashedAt = 0;
  }

  /** Ends every stream: the model is not restarted again. */
  private onFailed(message: string): void {
    const streams = [...this.streams];
    this.streams.clear();
    this.backlog = [];
    this.hooks.onFailed?.(this, message);
    for (const [streamId] of streams) this.writer.forget(streamId);
    for (const [streamId, s] of streams) s.listener({ type: 'engine_failed', streamId, message, audioMs: Math.round(s.audioMs) });
  }

  private onCrash(message: string, restarts: number): void {
    this.crashedAt ||= performance.now();
    // Reopen every stream on the next worker where its audio left off; queued messages wait for it.
    this.backlog = [...this.streams].map(([streamId, s]) => ({ type: 'open', streamId, originMs: Math.round(s.audioMs), options: s.options }) as const);
    for (const s of this.streams.values()) s.pendingMs = 0;
    this.hooks.onCrashed?.(this, message, restarts, this.streams.size);
    for (const [streamId, s] of this.streams) s.listener({ type: 'engine_crashed', streamId, message });
  }
}
