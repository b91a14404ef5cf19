import type { ResultData, SessionContext } from '../../actors/session.machine';
import { event, type Formatted, type VoxEvent, type Word } from '../../events/types';
import type { FinalReason } from '../engine/protocol';
import { timedWords } from '../format/formatter';
import type { ServerMessage } from './protocol';

/** What the session logs and what it then sends for one happening: an event and its protocol message. */
export type Outgoing = readonly [VoxEvent, ServerMessage];

type Result = ResultData & { segment: number; modelId: string };

const fields = (r: Result) => ({ text: r.text, segment: r.segment, start_ms: r.startMs, end_ms: r.endMs, latency_ms: r.latencyMs, model_id: r.modelId });

export const partialOut = (sessionId: string, r: Result): Outgoing => [
  event('PartialTranscribed', { session_id: sessionId, segment: r.segment, text: r.text, start_ms: r.startMs, end_ms: r.endMs, model_id: r.modelId }),
  { type: 'partial', is_final: false, ...fields(r) },
];

export const finalOut = (sessionId: string, r: Result & { words: readonly Word[]; reason: FinalReason; formatted: Formatted | null; turnConfidence?: number }): Outgoing => [
  event('SegmentFinalized', {
    session_id: sessionId,
    segment: r.segment,
    text: r.text,
    start_ms: r.startMs,
    end_ms: r.endMs,
    words: [...r.words],
    latency_ms: r.latencyMs,
    model_id: r.modelId,
    reason: r.reason,
    formatted: r.formatted,
  }),
  // A segment that ended because the speech stopped is the end of an utterance (Deepgram's speech_final).
  { type: 'final', is_final: true, ...fields(r), ...written(r), words: r.words, reason: r.reason, end_of_utterance: r.reason === 'endpoint', ...(r.turnConfidence === undefined ? {} : { end_of_turn_confidence: r.turnConfidence }) },
];

/** A formatted final's text is the written one; the recogniser's stays beside it, with the written words. */
const written = (r: { text: string; formatted: Formatted | null }) =>
  r.formatted ? { text: r.formatted.text, raw_text: r.text, formatted_words: timedWords(r.formatted) } : {};

export const speechStartedOut = (sessionId: string, r: { atMs: number; segment: number }): Outgoing => [
  event('SpeechStarted', { session_id: sessionId, segment: r.segment, at_ms: r.atMs }),
  { type: 'speech_started', at_ms: r.atMs, segment: r.segment },
];

export const utteranceEndOut = (sessionId: string, r: { lastWordEndMs: number; atMs: number; segment: number }): Outgoing => [
  event('UtteranceEnded', { session_id: sessionId, segment: r.segment, last_word_end_ms: r.lastWordEndMs, at_ms: r.atMs }),
  { type: 'utterance_end', segment: r.segment, last_word_end_ms: r.lastWordEndMs, at_ms: r.atMs },
];

/** The switch that `context` is finishing: from its current model to `nextModelId`. */
export const switchedOut = (sessionId: string, c: SessionContext, waitedMs: number): Outgoing => [
  event('ModelSwitched', {
    session_id: sessionId,
    from_model_id: c.modelId,
    to_model_id: c.nextModelId!,
    at_ms: c.audioMs,
    from_audio_ms: c.audioMs - c.modelStartMs,
    waited_ms: waitedMs,
  }),
  { type: 'model_switched', from_model_id: c.modelId, model_id: c.nextModelId!, at_ms: c.audioMs, waited_ms: waitedMs },
];

export const closedOut = (sessionId: string, c: SessionContext, durationMs: number): Outgoing => {
  const reason = c.closeReason ?? 'client_close';
  return [
    event('SessionClosed', {
      session_id: sessionId,
      reason,
      audio_ms: c.audioMs,
      model_id: c.modelId,
      model_audio_ms: Math.max(0, c.audioMs - c.modelStartMs),
      segments: c.segment,
      partials: c.partials,
      duration_ms: durationMs,
    }),
    { type: 'closed', session_id: sessionId, reason, audio_ms: c.audioMs, segments: c.segment, duration_ms: durationMs },
  ];
};
