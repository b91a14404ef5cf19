import type { Formatted, Word } from '../../events/types';
import type { Encoding } from '../audio/codecs';
import type { BatchSettings } from './batcher';
import type { FormatOptions } from '../format/formatter';

/** Why a segment was finalized. */
export type FinalReason = 'endpoint' | 'finalize' | 'close' | 'switch' | 'max_length';

/** Per-stream segmentation settings. */
export interface StreamOptions {
  /** Silence (by the voice-activity detector) that ends a segment. */
  readonly endpointingMs: number;
  /**
   * `false`: no voice-activity detection on a streaming model: every sample is decoded and segments
   * end by the model's own rule (1.2 s of trailing blanks). Offline models always use the detector.
   */
  readonly vad: boolean;
  /** `utterance_end` after this long without words following a final; 0: never. */
  readonly utteranceEndMs: number;
  /** An offline model's segment longer than this is cut and decoded. */
  readonly maxSegmentMs: number;
  /** Re-decode the open segment this often for partials; 0 disables partials. */
  readonly interimMs: number;
  /**
   * `batch` streams (jobs, uploaded files) are decoded only when no live message waits in the
   * worker, so a live session never queues behind a long file. Default `live`.
   */
  readonly priority?: 'live' | 'batch';
  /** How finals are written: punctuation and case, numbers as figures (absent: as the recogniser gave them). */
  readonly format?: FormatOptions;
}

/** What the worker loads: one recognizer of a kind, plus the VAD for offline models. */
export type LoadSpec =
  /**
   * `batch`: decode ready streams together (absent or size 1: one by one, as models fixed at batch 1 need).
   * `vadModel`: Silero, which ends segments when speech stops; without it segments end by the model's own rule.
   */
  | ({ readonly kind: 'streaming'; readonly recognizer: unknown; readonly batch?: BatchSettings; readonly vadModel?: string } & Faults)
  | ({ readonly kind: 'offline'; readonly recognizer: unknown; readonly vadModel: string } & Faults);

/**
 * Fault injection (VOXLOG_FAULT_ABORT_ON_DECODE): the host aborts natively (SIGABRT) at its first
 * decode, as a model sherpa-onnx cannot run would. Tests of crash isolation use it; nothing else should.
 */
export interface Faults {
  readonly abortOnDecode?: boolean;
}

/**
 * Messages from the engine to its worker. Audio is the client's whole samples in `encoding` at
 * `sampleRate`, transferred (Worker) or sent as bytes (process): the host converts them to Float32.
 */
export type ToWorker =
  | { readonly type: 'load'; readonly spec: LoadSpec }
  | { readonly type: 'open'; readonly streamId: string; readonly originMs: number; readonly options: StreamOptions }
  | AudioMessage
  | { readonly type: 'finalize'; readonly streamId: string; readonly seq: number }
  | { readonly type: 'close'; readonly streamId: string; readonly seq: number; readonly reason: 'close' | 'switch' }
  /** Ends the worker between messages, never inside native code (see WorkerSlot.kill). */
  | { readonly type: 'exit'; readonly code: number };

export interface AudioMessage {
  readonly type: 'audio';
  readonly streamId: string;
  readonly seq: number;
  readonly pcm: Uint8Array<ArrayBuffer>;
  readonly encoding: Encoding;
  readonly sampleRate: number;
}

/** An audio message once the host has converted it. */
export type DecodedAudio = Omit<AudioMessage, 'pcm' | 'encoding'> & { readonly samples: Float32Array };

/** The answer to one audio message: its audio, the engine time it took, and how many streams shared its decode call. */
export const consumed = (msg: DecodedAudio, busyMs: number, batch: number): FromWorker => ({ type: 'consumed', streamId: msg.streamId, audioMs: (msg.samples.length * 1000) / msg.sampleRate, busyMs, batch });

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
  | ({ readonly type: 'final'; readonly words: readonly Word[]; readonly reason: FinalReason; readonly formatted?: Formatted; /** Time spent writing it as text, from its arrival from the engine (ms; set on the server side). */ readonly formatMs?: number; /** With punctuation: how sure the formatter is that the speaker's turn ended here (turnConfidence). */ readonly turnConfidence?: number } & StreamResult)
  | { readonly type: 'speech_started'; readonly streamId: string; readonly seq: number; readonly atMs: number }
  /** No word for the stream's `utteranceEndMs` after the last final's last word (at `lastWordEndMs`). */
  | { readonly type: 'utterance_end'; readonly streamId: string; readonly seq: number; readonly lastWordEndMs: number; readonly atMs: number }
  /** A `finalize` is done: its final (if there was speech to flush) came before this. */
  | { readonly type: 'finalized'; readonly streamId: string; readonly seq: number }
  | { readonly type: 'closed'; readonly streamId: string; readonly audioMs: number }
  /**
   * One audio message decoded: how much audio, how long the worker spent on it (backpressure, RTF)
   * and how many streams shared the decode call that decoded it (0: no whole chunk to decode yet).
   */
  | { readonly type: 'consumed'; readonly streamId: string; readonly audioMs: number; readonly busyMs: number; readonly batch: number }
  | { readonly type: 'stream_error'; readonly streamId: string; readonly message: string };

/** What a session hears about its stream. */
export type StreamEvent =
  | Extract<FromWorker, { type: 'partial' | 'final' | 'speech_started' | 'utterance_end' | 'finalized' | 'closed' | 'stream_error' }>
  | { readonly type: 'engine_crashed'; readonly streamId: string; readonly message: string }
  /** The model will not be restarted again: the stream is over (audioMs: the session audio sent to it). */
  | { readonly type: 'engine_failed'; readonly streamId: string; readonly message: string; readonly audioMs: number };
