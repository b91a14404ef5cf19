import type { Encoding } from '../audio/codecs';
import type { EngineHostKind } from '../config';
import { UnavailableError } from '../errors';
import type { LoadSpec, StreamEvent, StreamOptions } from './protocol';
import { WorkerSlot, type SlotStatus } from './worker-slot';

export type EngineStatus = SlotStatus;

export interface EngineHooks {
  readonly onStarted?: (modelId: string, worker: number, loadMs: number, restarts: number, downMs: number) => void;
  readonly onCrashed?: (modelId: string, worker: number, message: string, restarts: number, streams: number) => void;
  readonly onFailed?: (modelId: string, message: string) => void;
  readonly onDecoded?: (modelId: string, audioMs: number, busyMs: number, batch: number) => void;
  readonly onFormatted?: (modelId: string, ms: number) => void;
}

/** How long sessions opening during a model's first load wait for its other workers once one is ready. */
const LOAD_SPREAD_MS = 2_000;

/**
 * One loaded model: a pool of supervised workers shared by every session on the model. A new
 * stream goes to the least loaded ready worker and stays on it.
 */
export class Engine {
  private readonly slots: WorkerSlot[];
  private readonly placement = new Map<string, WorkerSlot>();
  private readonly waiters = new Set<() => void>();
  /** When the first worker became ready (waiters give the others until LOAD_SPREAD_MS later). */
  private firstReadyAt = Infinity;
  /** When a stream last opened or closed: idle unloading only looks at engines with no stream. */
  lastUsed = Date.now();

  constructor(
    readonly modelId: string,
    spec: LoadSpec,
    workers: number,
    host: EngineHostKind = 'worker',
    hooks: EngineHooks = {},
  ) {
    let failedReported = false;
    this.slots = Array.from(
      { length: Math.max(1, workers) },
      (_, i) =>
        new WorkerSlot(modelId, i, spec, host, {
          onReady: (slot, loadMs, restarts, downMs) => hooks.onStarted?.(modelId, slot.index, loadMs, restarts, downMs),
          onCrashed: (slot, message, restarts, streams) => hooks.onCrashed?.(modelId, slot.index, message, restarts, streams),
          onFailed: (_, message) => {
            if (this.status === 'failed' && !failedReported) (failedReported = true), hooks.onFailed?.(modelId, message);
          },
          onStatus: () => this.notify(),
          onDecoded: (audioMs, busyMs, batch) => hooks.onDecoded?.(modelId, audioMs, busyMs, batch),
          onFormatted: (ms) => hooks.onFormatted?.(modelId, ms),
        }),
    );
  }

  /** Ready when any worker is; failed when all are; otherwise the most hopeful state of its workers. */
  get status(): EngineStatus {
    const states = this.slots.map((s) => s.status);
    for (const s of ['ready', 'loading', 'crashed'] as const) if (states.includes(s)) return s;
    return states.every((s) => s === 'stopped') ? 'stopped' : 'failed';
  }

  get lastError(): string | null {
    return this.slots.map((s) => s.lastError).find((e) => e !== null) ?? null;
  }

  get streamCount(): number {
    return this.placement.size;
  }

  /** Streams open on the engine now (operations and fault-injection tests). */
  get streamIds(): string[] {
    return [...this.placement.keys()];
  }

  get workers(): readonly { index: number; status: SlotStatus; streams: number; pid: number | null }[] {
    return this.slots.map((s) => ({ index: s.index, status: s.status, streams: s.load, pid: s.pid }));
  }

  /** The engine process serving `streamId` (VOXLOG_ENGINE_HOST=process), for operations and fault-injection tests. */
  pidOf(streamId: string): number | null {
    return this.placement.get(streamId)?.pid ?? null;
  }

  /**
   * Resolves when the model is loaded; rejects if every worker failed to load. While the first load
   * is under way it waits for the other workers too (at most LOAD_SPREAD_MS after the first is ready):
   * sessions that opened on the one ready worker would all stay on it, leaving the others idle.
   */
  async ready(timeoutMs = 60_000): Promise<void> {
    const spread = () => !this.slots.some((s) => s.status === 'loading') || performance.now() - this.firstReadyAt >= LOAD_SPREAD_MS;
    const settled = () => (this.status === 'ready' && spread()) || this.status === 'failed' || this.status === 'stopped';
    if (!settled()) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => (this.waiters.delete(check), reject(new UnavailableError(`model ${this.modelId} did not load within ${timeoutMs} ms`, 'model_load_failed'))), timeoutMs);
        const check = () => settled() && (clearTimeout(timer), this.waiters.delete(check), resolve());
        this.waiters.add(check);
      });
    }
    if (this.status !== 'ready') throw new UnavailableError(`model ${this.modelId} failed to load: ${this.lastError ?? this.status}`, 'model_load_failed');
  }

  open(streamId: string, originMs: number, options: StreamOptions, listener: (e: StreamEvent) => void): void {
    const ready = this.slots.filter((s) => s.status === 'ready');
    const slot = (ready.length > 0 ? ready : this.slots).reduce((a, b) => (b.load < a.load ? b : a));
    this.placement.set(streamId, slot);
    this.lastUsed = Date.now();
    slot.open(streamId, originMs, options, (e) => {
      if (e.type === 'closed' || e.type === 'engine_failed') {
        this.placement.delete(streamId);
        this.lastUsed = Date.now();
      }
      listener(e);
    });
  }

  /** Float32 samples (jobs, files); the engine takes over their buffer. */
  feed(streamId: string, seq: number, samples: Float32Array, sampleRate: number): void {
    this.feedEncoded(streamId, seq, new Uint8Array(samples.buffer as ArrayBuffer, samples.byteOffset, samples.byteLength), 'float32', sampleRate);
  }

  /** A client's whole samples as they came (sessions): the engine host converts them; it takes over the buffer. */
  feedEncoded(streamId: string, seq: number, pcm: Uint8Array<ArrayBuffer>, encoding: Encoding, sampleRate: number): void {
    this.placement.get(streamId)?.feed(streamId, seq, pcm, encoding, sampleRate);
  }

  /** Audio of `streamId` sent to its worker and not yet decoded, in ms. */
  backlogMs(streamId: string): number {
    return this.placement.get(streamId)?.backlogMs(streamId) ?? 0;
  }

  finalize(streamId: string, seq: number): void {
    this.placement.get(streamId)?.post({ type: 'finalize', streamId, seq });
  }

  /** Flushes the stream's last segment; its listener then hears `closed` and is dropped. */
  close(streamId: string, seq: number, reason: 'close' | 'switch' = 'close'): void {
    this.placement.get(streamId)?.post({ type: 'close', streamId, seq, reason });
  }

  /** Ends the worker serving `streamId` (or worker 0) as a crash would; its supervisor restarts it. */
  crashWorker(streamId?: string): void {
    (streamId ? this.placement.get(streamId) : this.slots[0])?.crashWorker();
  }

  /** Stops every worker; resolves when their threads have ended. */
  async stop(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.stop()));
  }

  private notify(): void {
    // Slots report their first status while the constructor is still making them.
    if (this.slots === undefined) return;
    if (this.firstReadyAt === Infinity && this.status === 'ready') {
      this.firstReadyAt = performance.now();
      setTimeout(() => this.notify(), LOAD_SPREAD_MS).unref();
    }
    for (const w of [...this.waiters]) w();
  }
}
