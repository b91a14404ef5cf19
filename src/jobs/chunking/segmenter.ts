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

/**
 * Cuts a file's audio into chunks at silences, with Silero VAD in a Worker of its own. One request
 * at a time: the caller pushes the next piece only after the last one's chunks came back, so the
 * audio held anywhere is bounded by what the caller has not yet decoded.
 */
export class Segmenter {
  private readonly worker: Worker;
  private waiting: { resolve: (c: Cut) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(vadModel: string, maxChunkMs: number) {
    this.worker = new Worker(VAD_WORKER_URL);
    this.worker.onmessage = (e: MessageEvent<FromVad>) => {
      const m = e.data;
      if (m.type === 'error') this.fail(new Error(`voice activity detection failed: ${m.message}`));
      else this.settle((w) => w.resolve({ chunks: m.chunks, position: m.position }));
    };
    this.worker.onerror = (e) => this.fail(new Error(`voice activity detection failed: ${e.message}`));
    this.worker.addEventListener('close', () => this.fail(new Error('the voice activity detector stopped')));
    this.send({ type: 'init', vadModel, maxChunkMs });
  }

  /** Mono audio at `sampleRate`; resolves with the chunks it completed. */
  push(samples: Float32Array, sampleRate: number): Promise<Cut> {
    return this.request({ type: 'audio', samples, sampleRate }, [samples.buffer as ArrayBuffer]);
  }

  /** End of input: the last chunks. */
  finish(): Promise<Cut> {
    return this.request({ type: 'finish' });
  }

  /** Ends the worker between messages (never `terminate()`, which can abort a process inside native code). */
  stop(): void {
    this.failure ??= new Error('stopped');
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

  private fail(err: Error): void {
    this.failure ??= err;
    this.settle((w) => w.reject(this.failure!));
  }
}
