import { pathToFileURL } from 'node:url';
import type { AudioChunk } from './chunker';
import type { FromVad, ToVad } from './protocol';

/** In the binary, `bun run build` bundles the worker beside the main program (see scripts/build.ts). */
const VAD_WORKER_URL = Bun.isStandaloneExecutable ? new URL('jobs/chunking/vad-worker.js', pathToFileURL(Bun.main)).href : new URL('./vad-worker.ts', import.meta.url).href;

export interface Cut {
  readonly chunks: readonly AudioChunk[];
  /** Audio the VAD has heard so far, in 16 kHz samples. */
  readonly position: number;
}

/** A Bun Worker: unref'd, it no longer keeps the process alive (an idle pooled one must not). */
type PooledWorker = Worker & { ref(): void; unref(): void };

/** Warm VAD workers waiting for the next file: starting one (thread, addon, model) took 120-200 ms. */
const idle: PooledWorker[] = [];
const MAX_IDLE = 4;

/**
 * Cuts a file's audio into chunks at silences, with Silero VAD in a Worker of its own (reused
 * from file to file). One request at a time: the caller pushes the next piece only after the last
 * one's chunks came back, so the audio held anywhere is bounded by what the caller has not yet decoded.
 */
export class Segmenter {
  private readonly worker: PooledWorker;
  private waiting: { resolve: (c: Cut) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private broken = false;
  private readonly onClose = () => this.fail(new Error('the voice activity detector stopped'), true);

  constructor(vadModel: string, maxChunkMs: number) {
    this.worker = idle.pop() ?? Segmenter.spawn();
    this.worker.ref();
    this.worker.onmessage = (e: MessageEvent<FromVad>) => {
      const m = e.data;
      if (m.type === 'error') this.fail(new Error(`voice activity detection failed: ${m.message}`), true);
      else this.settle((w) => w.resolve({ chunks: m.chunks, position: m.position }));
    };
    this.worker.onerror = (e) => this.fail(new Error(`voice activity detection failed: ${e.message}`), true);
    this.worker.addEventListener('close', this.onClose);
    // A fresh VAD and chunker for this file, in a new or a reused worker.
    this.send({ type: 'init', vadModel, maxChunkMs });
  }

  /** Ends the idle workers (server shutdown). */
  static closeIdle(): void {
    for (const w of idle.splice(0)) w.postMessage({ type: 'exit' } satisfies ToVad);
  }

  private static spawn(): PooledWorker {
    return new Worker(VAD_WORKER_URL) as PooledWorker;
  }

  /** Mono audio at `sampleRate`; resolves with the chunks it completed. */
  push(samples: Float32Array, sampleRate: number): Promise<Cut> {
    return this.request({ type: 'audio', samples, sampleRate }, [samples.buffer as ArrayBuffer]);
  }

  /** End of input: the last chunks. */
  finish(): Promise<Cut> {
    return this.request({ type: 'finish' });
  }

  /**
   * Done with this file: the worker waits for the next one, unless it failed or a request was still
   * under way; then it is ended between messages (never `terminate()`, which can abort a process
   * inside native code).
   */
  stop(): void {
    const reusable = !this.broken && !this.waiting && this.failure === undefined && idle.length < MAX_IDLE;
    this.failure ??= new Error('stopped');
    this.worker.removeEventListener('close', this.onClose);
    if (reusable) return void (this.worker.unref(), idle.push(this.worker));
    this.worker.postMessage({ type: 'exit' } satisfies ToVad);
  }

  private request(msg: ToVad, transfer: Transferable[] = []): Promise<Cut> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiting) return Promise.reject(new Error('one VAD request at a time'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.send(msg, transfer);
    });
  }

  private send(msg: ToVad, transfer: Transferable[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  private settle(f: (w: NonNullable<Segmenter['waiting']>) => void): void {
    const w = this.waiting;
    this.waiting = undefined;
    if (w) f(w);
  }

  private fail(err: Error, broken: boolean): void {
    this.broken ||= broken;
    this.failure ??= err;
    this.settle((w) => w.reject(this.failure!));
  }
}
