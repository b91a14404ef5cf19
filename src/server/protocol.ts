import type { Word } from '../../events/types';
import type { FinalReason } from '../engine/protocol';

/** What a session's client speaks: voxlog's own protocol or one an adapter translates (src/protocols/). */
export const SESSION_PROTOCOLS = ['voxlog', 'deepgram', 'wyoming', 'twilio', 'assemblyai', 'openai', 'flux', 'vosk', 'sherpa'] as const;
export type SessionProtocol = (typeof SESSION_PROTOCOLS)[number];

/** Control messages a client may send as JSON text frames. */
export type ClientMessage = { readonly type: 'finalize' } | { readonly type: 'keepalive' } | { readonly type: 'close' } | { readonly type: 'config'; readonly [key: string]: unknown };

export const CLIENT_MESSAGE_TYPES = ['finalize', 'keepalive', 'close', 'config'] as const;

export type ParseOutcome = { readonly ok: true; readonly message: ClientMessage } | { readonly ok: false; readonly code: string; readonly message: string };

/** Checks a text frame as Elysia hands it over (parsed JSON, or the raw string when it is not JSON). */
export function parseClientMessage(raw: unknown): ParseOutcome {
  if (typeof raw === 'string') {
    return { ok: false, code: 'invalid_json', message: `text frames must be JSON objects; got ${JSON.stringify(raw.slice(0, 40))}` };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, code: 'invalid_message', message: 'text frames must be JSON objects with a "type"' };
  }
  const obj = raw as Record<string, unknown>;
  if (obj.type === undefined && 'model_id' in obj) return { ok: true, message: { ...obj, type: 'config' } };
  if (obj.type === undefined) return { ok: false, code: 'invalid_message', message: `message has no type; expected one of ${CLIENT_MESSAGE_TYPES.join(', ')}` };
  if (typeof obj.type !== 'string' || !(CLIENT_MESSAGE_TYPES as readonly string[]).includes(obj.type)) {
    return { ok: false, code: 'unknown_message_type', message: `unknown message type ${JSON.stringify(obj.type)}; expected one of ${CLIENT_MESSAGE_TYPES.join(', ')}` };
  }
  return { ok: true, message: obj as ClientMessage };
}

interface ResultFields {
  readonly text: string;
  readonly segment: number;
  readonly start_ms: number;
  readonly end_ms: number;
  readonly latency_ms: number;
  readonly model_id: string;
}

/** Messages the server sends; every one is JSON with a `type`. */
export type ServerMessage =
  | {
      readonly type: 'ready';
      readonly session_id: string;
      readonly model_id: string;
      readonly encoding: string;
      readonly sample_rate: number;
      readonly max_frame_bytes: number;
      /** Audio faster than this multiple of real time (averaged over a few seconds) is refused. */
      readonly max_intake_rate: number;
      readonly resumed: boolean;
      /** For a dictation attempt (`item_id` in the query): the attempt the session is scored as when it closes. */
      readonly item_id?: string;
      readonly attempt_id?: string;
    }
  | { readonly type: 'speech_started'; readonly at_ms: number; readonly segment: number }
  | { readonly type: 'model_switched'; readonly from_model_id: string; readonly model_id: string; readonly at_ms: number; readonly waited_ms: number }
  | ({ readonly type: 'partial'; readonly is_final: false } & ResultFields)
  | ({
      readonly type: 'final';
      readonly is_final: true;
      /** The recogniser's words, with their times. */
      readonly words: readonly Word[];
      /** With `format` (the default): the recogniser's text, where `text` is the written one. */
      readonly raw_text?: string;
      /** With `format`: the written words (punctuation attached, a number said in several words as one figure), each timed from the words it came from. */
      readonly formatted_words?: readonly Word[];
      /** What ended the segment. */
      readonly reason: FinalReason;
      /** The speaker stopped (for `endpointing_ms`): the segment ends an utterance. */
      readonly end_of_utterance: boolean;
      /** With punctuation (`format`): how sure the formatter is that the speaker's turn ends here, 0 to 1 (a finished sentence reads above 0.5). */
      readonly end_of_turn_confidence?: number;
    } & ResultFields)
  /** A `finalize` is done: the final it flushed (if there was speech) came before this. */
  | { readonly type: 'finalized' }
  /** No word for `utterance_end_ms` after the last final's last word: the turn is over. */
  | { readonly type: 'utterance_end'; readonly segment: number; readonly last_word_end_ms: number; readonly at_ms: number }
  | { readonly type: 'error'; readonly code: string; readonly message: string }
  | { readonly type: 'closed'; readonly session_id: string; readonly reason: string; readonly audio_ms: number; readonly segments: number; readonly duration_ms: number };

/** WebSocket close codes voxlog uses deliberately (RFC 6455 §7.4.1). */
export const CloseCode = {
  normal: 1000,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  tooBig: 1009,
  internalError: 1011,
  tryAgainLater: 1013,
} as const;
