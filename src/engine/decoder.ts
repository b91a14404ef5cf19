import type { Word } from '../../events/types';
import type { FinalReason, FromWorker } from './protocol';
import type { SherpaResult } from './sherpa';

export type Post = (m: FromWorker) => void;

/** One client stream inside a worker, whatever the model kind. */
export interface StreamDecoder {
  /** Session audio time (ms) fed so far. */
  readonly audioMs: number;
  /** A promise when decoding is async (offline models): the next call must wait for it. */
  accept(seq: number, samples: Float32Array, sampleRate: number): void | Promise<void>;
  /** Flushes the open segment as a final with `reason` and keeps the stream usable. */
  finalize(seq: number, reason: FinalReason): void | Promise<void>;
}

/** Groups character tokens into words; a word runs from its first token to the token after its last. */
export function wordsFromTokens(result: Pick<SherpaResult, 'tokens' | 'timestamps'>, startMs: number, endMs: number): Word[] {
  const words: Word[] = [];
  let current: { word: string; start: number; last: number } | undefined;
  const close = (endSec: number) => {
    if (!current) return;
    words.push({ word: current.word, start_ms: clampMs(startMs + current.start * 1000, endMs), end_ms: clampMs(startMs + endSec * 1000, endMs) });
    current = undefined;
  };
  result.tokens.forEach((token, i) => {
    const at = result.timestamps[i] ?? 0;
    const boundary = token.startsWith(' ') || token.startsWith('▁');
    const piece = token.replace(/^[ ▁]+/, '');
    if (boundary) close(at);
    if (piece === '') return;
    if (current) current.word += piece;
    else current = { word: piece, start: at, last: at };
    current.last = at;
  });
  // The last word ends one model frame (40 ms) after its last token.
  if (current) close((current as { last: number }).last + 0.04);
  return words;
}

const clampMs = (ms: number, max: number): number => Math.min(Math.max(0, Math.round(ms)), max);
