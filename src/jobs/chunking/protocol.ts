import type { AudioChunk } from './chunker';
/** Messages between the job pipeline and its VAD worker (vad-worker.ts). */
export type ToVad =
  | { readonly type: 'init'; readonly vadModel: string; readonly maxChunkMs: number }
  /** Mono audio at `sampleRate`, transferred; answered by one `chunks`. */
  | { readonly type: 'audio'; readonly samples: Float32Array; readonly sampleRate: number }
  /** End of input; answered by the last `chunks` (`done`). */
  | { readonly type: 'finish' }
  | { readonly type: 'exit' };

export type FromVad =
  | { readonly type: 'chunks'; readonly chunks: readonly AudioChunk[]; readonly position: number; readonly done: boolean }
  | { readonly type: 'error'; readonly message: string };
