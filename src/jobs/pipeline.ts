// A long recording through the engine pool: Silero VAD cuts it at silences into bounded chunks,
// the chunks are decoded at once on different workers (both cores on one file), and their
// segments are merged in order on the file's own timeline.
import type { Word } from '../../events/types';
import { frames } from '../audio/frames';
import type { AudioInput } from '../audio/input';
import type { Engine } from '../engine/engine';
import type { EngineRegistry } from '../engine/registry';
import { UnavailableError } from '../errors';
import { DEFAULT_SETTINGS } from '../server/settings';
import type { AudioChunk } from './chunking/chunker';
import { Segmenter, type Cut } from './chunking/segmenter';

/** A final on the file's timeline (ms), with word timings where the model gives them. */
export interface TimedSegment {
  readonly text: string;
  readonly start_ms: number;
  readonly end_ms: number;
  readonly words: readonly Word[];
}

export interface ChunkedTranscript {
  readonly modelId: string;
  readonly segments: readonly TimedSegment[];
  readonly text: string;
  /** Audio heard, in ms. */
  readonly audioMs: number;
  readonly chunks: number;
}

/** What the pipeline reports as it goes (the job log and progress are made from these). */
export type PipelineEvent =
  | { readonly type: 'chunking' }
  | { readonly type: 'chunk_done'; readonly index: number; readonly segments: readonly TimedSegment[]; readonly done: number; readonly found: number; readonly vadFinished: boolean; readonly frontierMs: number };

export interface PipelineOptions {
  readonly vadModel: string;
  readonly maxChunkMs: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: PipelineEvent) => void;
}

/** Audio posted to a worker per message, in seconds: what a live frame can wait behind there (see worker.ts). */
const PIECE_S = 1;
/** Audio of one chunk posted and not yet decoded before the feeder waits. */
const MAX_BACKLOG_MS = 4_000;
/** Offline models decode a VAD segment whole: in a file, up to 15 s (live sessions cut at 3 s for latency). */
const READ_AHEAD_CHUNKS = 2;
const BATCH_MAX_SEGMENT_MS = 15_000;

/** Transcribes `input` with `modelId`, chunk by chunk across the model's workers. */
export async function transcribeInChunks(registry: EngineRegistry, modelId: string, input: AudioInput, o: PipelineOptions): Promise<ChunkedTranscript> {
  const engine = await registry.acquire(modelId);
  const segmenter = new Segmenter(o.vadModel, o.maxChunkMs);
  const parallel = Math.max(1, engine.workers.length);
  const decoding = new Map<number, Promise<void>>();
  const results = new Map<number, readonly TimedSegment[]>();
  const found: AudioChunk['start'][] = [];
  const open = new Set<string>();
  let failure: unknown;
  let position = 0;
  let vadFinished = false;
  const check = () => {
    if (failure !== undefined) throw failure;
    o.signal?.throwIfAborted();
  };
  // Chunks keep the file's own rate: the engine resamples what is not 16 kHz itself, as it does a live stream's.
  const rate = input.sampleRate;
  const frontierMs = () => {
    const pending = found.findIndex((_, i) => !results.has(i));
    return Math.round((pending === -1 ? position : found[pending]!) / (rate / 1000));
  };
  /** Chunks cut and waiting for a worker: the VAD runs this far ahead, so no worker waits for it. */
  const ready: AudioChunk[] = [];
  const pump = () => {
    while (ready.length > 0 && decoding.size < parallel) start(ready.shift()!);
  };
  const start = (chunk: AudioChunk) => {
    const job = decodeChunk(engine, chunk, rate, open, o.signal).then(
      (segments) => {
        results.set(chunk.index, segments);
        o.onEvent?.({ type: 'chunk_done', index: chunk.index, segments, done: results.size, found: found.length, vadFinished, frontierMs: frontierMs() });
      },
      (err) => void (failure ??= err),
    );
    decoding.set(
      chunk.index,
      job.finally(() => {
        decoding.delete(chunk.index);
        if (failure === undefined) pump();
      }),
    );
  };
  const take = async (cut: Cut) => {
    position = cut.position;
    for (const chunk of cut.chunks) (found[chunk.index] = chunk.start), ready.push(chunk);
    pump();
    while (ready.length >= READ_AHEAD_CHUNKS) await settleOne();
  };
  /** Waits for a chunk to finish; throws the run's failure. Never waits on nothing (after a failure nothing more starts). */
  const settleOne = async () => {
    check();
    pump();
    if (decoding.size === 0) return;
    await Promise.race(decoding.values());
    check();
  };
  try {
    o.onEvent?.({ type: 'chunking' });
    for await (const samples of inBlocks(input.chunks(), input.sampleRate)) {
      check();
      await take(await segmenter.push(samples, input.sampleRate));
    }
    check();
    await take(await segmenter.finish());
    vadFinished = true;
    while (decoding.size > 0 || ready.length > 0) await settleOne();
  } catch (err) {
    for (const id of open) engine.close(id, Number.MAX_SAFE_INTEGER);
    throw err;
  } finally {
    segmenter.stop();
  }
  const segments = [...results].sort(([a], [b]) => a - b).flatMap(([, s]) => s);
  return { modelId, segments, text: segments.map((s) => s.text).join(' '), audioMs: Math.round(position / (rate / 1000)), chunks: found.length };
}

/**
 * The audio in blocks of exactly `size` samples (the last may be short), however the source split
 * it (ffmpeg's pipe splits where it likes): what the VAD hears, and so every cut, follows the audio alone.
 * Each block is a copy of its own: the segmenter hands its buffer to the VAD worker.
 */
async function* inBlocks(source: AsyncIterable<Float32Array>, size: number): AsyncGenerator<Float32Array> {
  const bytes = async function* () {
    for await (const samples of source) yield new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  };
  for await (const block of frames(bytes(), size * Float32Array.BYTES_PER_ELEMENT)) yield new Float32Array(block.slice().buffer);
}

/**
 * What of a segment belongs to this chunk: the words that start within it (those in the context
 * before it are the previous chunk's, those in the lookahead after it the next one's). A model that
 * gives no word times keeps a segment that starts in the chunk.
 */
function ownPart(segment: TimedSegment, own: { fromMs: number; toMs: number }): TimedSegment | undefined {
  const mine = (ms: number) => ms >= own.fromMs && ms < own.toMs;
  if (segment.words.length === 0) return mine(segment.start_ms) ? segment : undefined;
  const words = segment.words.filter((w) => mine(w.start_ms));
  if (words.length === 0) return undefined;
  if (words.length === segment.words.length) return segment;
  return { text: words.map((w) => w.word).join(' '), start_ms: words[0]!.start_ms, end_ms: Math.min(segment.end_ms, Math.max(own.toMs, words.at(-1)!.end_ms)), words };
}

/** One chunk (after its context) as a batch-priority stream on the least loaded worker; resolves with its finals. */
function decodeChunk(engine: Engine, chunk: AudioChunk, rate: number, open: Set<string>, signal: AbortSignal | undefined): Promise<TimedSegment[]> {
  const streamId = `job-chunk-${crypto.randomUUID()}`;
  const segments: TimedSegment[] = [];
  let seq = 0;
  let failed = false;
  const own = { fromMs: Math.round(chunk.start / (rate / 1000)), toMs: chunk.lookahead.length === 0 ? Number.POSITIVE_INFINITY : Math.round((chunk.start + chunk.samples.length) / (rate / 1000)) };
  const audio = new Float32Array(chunk.context.length + chunk.samples.length + chunk.lookahead.length);
  audio.set(chunk.context);
  audio.set(chunk.samples, chunk.context.length);
  audio.set(chunk.lookahead, chunk.context.length + chunk.samples.length);
  return new Promise<TimedSegment[]>((resolve, reject) => {
    // The chunker already cut the file at pauses: every sample of a chunk is decoded (no detector).
    const options = { ...DEFAULT_SETTINGS, vad: false, maxSegmentMs: BATCH_MAX_SEGMENT_MS, interimMs: 0, priority: 'batch', format: undefined } as const;
    engine.open(streamId, Math.round((chunk.start - chunk.context.length) / (rate / 1000)), options, (e) => {
      if (e.type === 'final' && e.text.trim() !== '') {
        const segment = ownPart({ text: e.text.trim(), start_ms: e.startMs, end_ms: e.endMs, words: e.words }, own);
        if (segment) segments.push(segment);
      } else if (e.type === 'closed') open.delete(streamId), resolve(segments);
      else if (e.type === 'stream_error' || e.type === 'engine_crashed' || e.type === 'engine_failed') {
        // A restarted worker reopens the stream; this chunk's audio is gone from it, so it is closed.
        failed = true;
        engine.close(streamId, ++seq);
        reject(new UnavailableError(`the ${engine.modelId} engine failed on this audio: ${e.message}`, 'engine_failed'));
      }
    });
    open.add(streamId);
    void (async () => {
      const piece = PIECE_S * rate;
      for (let at = 0; at < audio.length && !failed && !signal?.aborted; at += piece) {
        engine.feed(streamId, ++seq, audio.slice(at, at + piece), rate);
        while (open.has(streamId) && engine.backlogMs(streamId) > MAX_BACKLOG_MS) await Bun.sleep(5);
      }
      if (!failed) engine.close(streamId, ++seq);
    })();
  });
}
