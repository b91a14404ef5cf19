import { createActor, waitFor, type Actor } from 'xstate';
import { engineMachine } from '../../actors/engine.machine';
import { UnavailableError } from '../errors';
import type { FromWorker, LoadSpec, StreamEvent, StreamOptions, ToWorker } from './protocol';

export type EngineStatus = 'loading' | 'ready' | 'crashed' | 'failed' | 'stopped';

interface OpenStream {
  readonly listener: (e: StreamEvent) => void;
  readonly options: StreamOptions;
  /** Session audio ms posted to the worker so far: where a restarted worker resumes the stream. */
  audioMs: number;
}

export interface EngineHooks {
  readonly onStarted?: (modelId: string, loadMs: number) => void;
  readonly onCrashed?: (modelId: string, message: string, restarts: number) => void;
}

const WORKER_URL = new URL('./worker.ts', import.meta.url).href;

/**
 * One loaded model: a supervised Bun Worker shared by many sessions, one stream each.
 * Audio goes straight to the worker with transferred buffers, never through the actor's mailbox.
 */
export class Engine {
  private worker: Worker | undefined;
  private readonly streams = new Map<string, OpenStream>();
  /** Messages posted while the worker is (re)loading; sent once it is ready. */
  private backlog: ToWorker[] = [];
  private readonly actor: Actor<typeof engineMachine>;
  lastUsed = Date.now();

  constructor(
    readonly modelId: string,
    private readonly spec: LoadSpec,
    private readonly hooks: EngineHooks = {},
  ) {
    const machine = engineMachine.provide({
      actions: {
        startWorker: () => this.spawn(),
        stopWorker: () => this.kill(),
        announceReady: ({ context }) => this.onReady(context.loadMs ?? 0),
        announceCrash: ({ context }, { message }) => this.onCrash(message, context.restarts),
      },
    });
    this.actor = createActor(machine, { input: { modelId } });
    this.actor.subscribe({ error: (err) => console.error(`engine ${modelId} actor failed:`, err) });
    this.actor.start();
  }

  get status(): EngineStatus {
    return this.actor.getSnapshot().value as EngineStatus;
  }

  get lastError(): string | null {
    return this.actor.getSnapshot().context.lastError;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Resolves when the model is loaded; rejects if it failed to load. */
  async ready(timeoutMs = 60_000): Promise<void> {
    const snap = await waitFor(this.actor, (s) => s.matches('ready') || s.matches('failed') || s.status === 'done', { timeout: timeoutMs });
    if (!snap.matches('ready')) throw new UnavailableError(`model ${this.modelId} failed to load: ${snap.context.lastError ?? snap.value}`, 'model_load_failed');
  }

  open(streamId: string, originMs: number, options: StreamOptions, listener: (e: StreamEvent) => void): void {
    this.streams.set(streamId, { listener, options, audioMs: originMs });
    this.post({ type: 'open', streamId, originMs, options });
  }

  feed(streamId: string, seq: number, samples: Float32Array, sampleRate: number): void {
    const s = this.streams.get(streamId);
    if (s) s.audioMs += (samples.length * 1000) / sampleRate;
    this.lastUsed = Date.now();
    this.post({ type: 'audio', streamId, seq, samples, sampleRate }, [samples.buffer as ArrayBuffer]);
  }

  finalize(streamId: string, seq: number): void {
    this.post({ type: 'finalize', streamId, seq });
  }

  /** Flushes the stream's last segment; its listener then hears `closed` and is dropped. */
  close(streamId: string, seq: number, reason: 'close' | 'switch' = 'close'): void {
    this.post({ type: 'close', streamId, seq, reason });
  }

  stop(): void {
    this.actor.send({ type: 'STOP' });
  }

  private post(msg: ToWorker, transfer: Transferable[] = []): void {
    if (this.worker && this.status === 'ready') this.worker.postMessage(msg, transfer);
    else this.backlog.push(msg);
  }

  private spawn(): void {
    const worker = new Worker(WORKER_URL);
    this.worker = worker;
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.onWorkerMessage(e.data);
    worker.onerror = (e) => {
      if (this.worker === worker) this.actor.send({ type: 'WORKER_EXITED', message: `worker error: ${e.message}` });
    };
    worker.addEventListener('close', () => {
      if (this.worker === worker) this.actor.send({ type: 'WORKER_EXITED', message: 'worker exited' });
    });
    worker.postMessage({ type: 'load', spec: this.spec } satisfies ToWorker);
  }

  private kill(): void {
    const w = this.worker;
    this.worker = undefined;
    w?.terminate();
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
      case 'partial':
      case 'final':
      case 'speech_started':
      case 'stream_error':
        return this.streams.get(m.streamId)?.listener(m);
      default: {
        const never: never = m;
        console.error('unknown worker message', never);
      }
    }
  }

  private onReady(loadMs: number): void {
    const pending = this.backlog;
    this.backlog = [];
    for (const msg of pending) this.worker!.postMessage(msg, msg.type === 'audio' ? [msg.samples.buffer as ArrayBuffer] : []);
    this.hooks.onStarted?.(this.modelId, loadMs);
  }

  private onCrash(message: string, restarts: number): void {
    // Reopen every stream on the next worker where its audio left off; queued messages wait for it.
    this.backlog = [...this.streams].map(([streamId, s]) => ({ type: 'open', streamId, originMs: Math.round(s.audioMs), options: s.options }) as const);
    for (const [streamId, s] of this.streams) s.listener({ type: 'engine_crashed', streamId, message });
    this.hooks.onCrashed?.(this.modelId, message, restarts);
  }
}
