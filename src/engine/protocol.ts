import type { Word } from '../../events/types';

/** Why a segment was finalized. */
export type FinalReason = 'endpoint' | 'finalize' | 'close';

/** Messages from the engine to its worker. Audio is 16-bit-free Float32 at `sampleRate`, transferred. */
export type ToWorker =
  | { readonly type: 'load'; readonly config: unknown }
  | { readonly type: 'open'; readonly streamId: string; readonly originMs: number }
  | { readonly type: 'audio'; readonly streamId: string; readonly seq: number; readonly samples: Float32Array; readonly sampleRate: number }
  | { readonly type: 'finalize'; readonly streamId: string; readonly seq: number }
  | { readonly type: 'close'; readonly streamId: string; readonly seq: number };

/** A recognition result for one stream; `seq` is the audio or control message that produced it. */
export interface StreamResult {
  readonly streamId: string;
  readonly seq: number;
  readonly text: string;
  readonly startMs: number;
  readonly endMs: number;
}

export type FromWorker =
  | { readonly type: 'ready'; readonly loadMs: number }
  | { readonly type: 'load_failed'; readonly message: string }
  | ({ readonly type: 'partial' } & StreamResult)
  | ({ readonly type: 'final'; readonly words: readonly Word[]; readonly reason: FinalReason } & StreamResult)
  | { readonly type: 'closed'; readonly streamId: string; readonly audioMs: number }
  | { readonly type: 'stream_error'; readonly streamId: string; readonly message: string };

/** What a session hears about its stream. */
export type StreamEvent =
  | Extract<FromWorker, { type: 'partial' | 'final' | 'closed' | 'stream_error' }>
  | { readonly type: 'engine_crashed'; readonly streamId: string; readonly message: string };
