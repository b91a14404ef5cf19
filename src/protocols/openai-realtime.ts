// OpenAI's Realtime API for transcription (`GET /v1/realtime?intent=transcription`) over a voxlog
// session: what OpenAI's SDK (`OpenAIRealtimeWS`) and the voice-agent plugins built on it speak. Audio
// comes as base64 in JSON events; each turn of speech is an item whose transcript streams as deltas and
// completes once. Turn detection: `server_vad` ends an item at every pause of `silence_duration_ms`,
// `semantic_vad` where the formatter is sure a sentence ended (or after its eagerness' timeout), and none
// (null) only at `input_audio_buffer.commit`.
import { compatibleModel, type CatalogEntry } from '../../models/catalog';
import { newEventId } from '../../events/ids';
import type { ServerMessage } from '../server/protocol';
import type { Session, SessionOptions } from '../server/session';
import type { TranscribeDeps } from '../server/ws';
import { vendorSocket, type Query, type Translator } from './socket';
import { spokenText, TurnTracker, writtenText, type Turn } from './turns';

/** OpenAI's audio formats as voxlog's encoding and rate; PCM is 24 kHz unless the GA format says otherwise. */
const FORMATS: Record<string, { encoding: string; rate: number }> = {
  pcm16: { encoding: 'pcm16', rate: 24000 },
  'audio/pcm': { encoding: 'pcm16', rate: 24000 },
  g711_ulaw: { encoding: 'mulaw', rate: 8000 },
  'audio/pcmu': { encoding: 'mulaw', rate: 8000 },
  g711_alaw: { encoding: 'alaw', rate: 8000 },
  'audio/pcma': { encoding: 'alaw', rate: 8000 },
};
/** semantic_vad's eagerness as the longest it waits for a turn to end (OpenAI's documented timeouts). */
const EAGERNESS_MS: Record<string, number> = { low: 8000, medium: 4000, auto: 4000, high: 2000 };
const SERVER_VAD = { type: 'server_vad' as const, threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 };

type Detection = { type: 'server_vad'; silence_duration_ms: number; [k: string]: unknown } | { type: 'semantic_vad'; eagerness: string; [k: string]: unknown } | null;
interface Settings {
  format: string;
  rate: number;
  model: string;
  language: string | null;
  prompt: string;
  detection: Detection;
}
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseRealtimeQuery(q: Query): { native: Query; keep: null } | { error: string } {
  if (q.intent !== 'transcription') return { error: `voxlog's realtime endpoint transcribes: connect with ?intent=transcription${q.model ? ` (model=${q.model} asks for a conversation)` : ''}` };
  // OpenAI's defaults until the client's session.update says otherwise: PCM16 at 24 kHz, server VAD after 500 ms.
  return { native: { encoding: 'pcm16', sample_rate: '24000', endpointing_ms: '500', utterance_end_ms: '500', format: 'true' }, keep: null };
}

/** Per connection: items, their deltas and transcripts, and the session's settings in OpenAI's shape. */
export class RealtimeTranslator implements Translator {
  private readonly turns = new TurnTracker({ end: 0 });
  private settings: Settings = { format: 'pcm16', rate: 24000, model: 'gpt-4o-transcribe', language: null, prompt: '', detection: { ...SERVER_VAD } };
  /** The last committed item, and the text each open item's deltas have said. */
  private previous: string | null = null;
  private readonly said = new Map<string, string>();
  /** Turns `input_audio_buffer.clear` discarded: their words are not transcribed for the client. */
  private readonly cleared = new Set<number>();
  private readonly sessionObject: string;

  constructor(
    private readonly sessionId: string,
    private readonly catalog: readonly CatalogEntry[],
  ) {
    this.sessionObject = `sess_${sessionId}`;
  }

  greeting(): object[] {
    return [this.event('session.created', { session: this.gaSession() })];
  }

  translate(m: ServerMessage): object[] {
    if (m.type === 'error') return [this.error(m.code, m.message)];
    const out: object[] = [];
    for (const e of this.turns.feed(m)) {
      if (this.cleared.has(e.turn.index)) {
        if (e.type === 'ended') this.cleared.delete(e.turn.index);
        continue;
      }
      const item = `item_${this.sessionId}_${e.turn.index}`;
      if (e.type === 'started') out.push(this.event('input_audio_buffer.speech_started', { audio_start_ms: e.turn.startMs, item_id: item }));
      if (e.type === 'update') out.push(...this.delta(item, spokenText(e.turn)));
      if (e.type === 'ended') out.push(...this.completed(e.turn, item));
    }
    return out;
  }

  /** A transcript grows by deltas that are appended: a partial that revised earlier words adds nothing until it grows past them. */
  private delta(item: string, text: string): object[] {
    const before = this.said.get(item) ?? '';
    if (!text.startsWith(before) || text.length === before.length) return [];
    this.said.set(item, text);
    return [this.event('conversation.item.input_audio_transcription.delta', { item_id: item, content_index: 0, delta: text.slice(before.length) })];
  }

  private completed(turn: Turn, item: string): object[] {
    const last = turn.words.at(-1);
    const previous = this.previous;
    this.previous = item;
    this.said.delete(item);
    return [
      this.event('input_audio_buffer.speech_stopped', { audio_end_ms: last?.end_ms ?? turn.startMs, item_id: item }),
      this.event('input_audio_buffer.committed', { previous_item_id: previous, item_id: item }),
      this.event('conversation.item.input_audio_transcription.completed', { item_id: item, content_index: 0, transcript: writtenText(turn), usage: { type: 'duration', seconds: Math.round(((last?.end_ms ?? turn.startMs) - turn.startMs) / 100) / 10 } }),
    ];
  }

  receive(message: unknown, session: Session, reply: (frame: object) => void): void {
    if (!isObject(message)) return reply(this.error('invalid_request_error', typeof message === 'string' ? `events must be JSON objects; got ${JSON.stringify(message.slice(0, 40))}` : 'events must be JSON objects; audio goes in input_audio_buffer.append as base64'));
    const type = message.type;
    switch (type) {
      case 'input_audio_buffer.append': {
        if (typeof message.audio !== 'string') return reply(this.error('invalid_value', 'input_audio_buffer.append needs audio: base64 bytes', 'audio'));
        return session.handleBinary(Buffer.from(message.audio, 'base64'));
      }
      case 'input_audio_buffer.commit':
        return session.handleText({ type: 'finalize' });
      case 'input_audio_buffer.clear': {
        // The audio since the last item is not transcribed for the client (the log keeps what the model heard).
        const open = this.turns.current();
        if (open !== undefined) this.cleared.add(open);
        session.handleText({ type: 'finalize' });
        return reply(this.event('input_audio_buffer.cleared', {}));
      }
      case 'session.update':
      case 'transcription_session.update':
        return this.update(type, message.session, session, reply);
      default:
        return reply(this.error('invalid_request_error', `unknown or unsupported event type ${JSON.stringify(type)}; a transcription session takes session.update, input_audio_buffer.append, .commit and .clear`));
    }
  }

  /** `session.update` (the GA shape: session.audio.input) or `transcription_session.update` (the beta's), answered in the same shape. */
  private update(type: string, raw: unknown, session: Session, reply: (frame: object) => void): void {
    if (!isObject(raw)) return reply(this.error('invalid_value', `${type} needs a session object`, 'session'));
    const ga = type === 'session.update';
    const input = ga ? (isObject(raw.audio) && isObject(raw.audio.input) ? raw.audio.input : {}) : raw;
    const next = { ...this.settings };
    const format = ga ? (input.format as unknown) : raw.input_audio_format;
    if (format !== undefined) {
      const name = isObject(format) ? format.type : format;
      const known = typeof name === 'string' ? FORMATS[name] : undefined;
      if (!known) return reply(this.error('invalid_value', `audio format ${JSON.stringify(name)} is not one of ${Object.keys(FORMATS).join(', ')}`, 'format'));
      const rate = isObject(format) && typeof format.rate === 'number' && known.encoding === 'pcm16' ? format.rate : known.rate;
      Object.assign(next, { format: name, rate });
    }
    const transcription = ga ? input.transcription : raw.input_audio_transcription;
    if (isObject(transcription)) {
      if (typeof transcription.model === 'string') next.model = transcription.model;
      if (typeof transcription.language === 'string') next.language = transcription.language;
      if (typeof transcription.prompt === 'string') next.prompt = transcription.prompt;
    }
    const detection = ga ? input.turn_detection : raw.turn_detection;
    if (detection === null) next.detection = null;
    else if (isObject(detection)) {
      if (detection.type === 'semantic_vad') next.detection = { ...detection, type: 'semantic_vad', eagerness: typeof detection.eagerness === 'string' && detection.eagerness in EAGERNESS_MS ? detection.eagerness : 'auto' };
      else if (detection.type === 'server_vad' || detection.type === undefined) {
        const silence = detection.silence_duration_ms ?? SERVER_VAD.silence_duration_ms;
        if (typeof silence !== 'number' || !Number.isInteger(silence) || silence < 10 || silence > 5000) return reply(this.error('invalid_value', 'turn_detection.silence_duration_ms must be a whole number of ms from 10 to 5000', 'turn_detection.silence_duration_ms'));
        next.detection = { ...SERVER_VAD, ...detection, type: 'server_vad', silence_duration_ms: silence };
      } else return reply(this.error('invalid_value', `turn_detection.type ${JSON.stringify(detection.type)} is not server_vad or semantic_vad`, 'turn_detection.type'));
    }
    const model = compatibleModel(next.model, this.catalog, 'openai');
    if ('error' in model) return reply(this.error('invalid_value', model.error, 'transcription.model'));
    this.settings = next;
    const d = next.detection;
    // Manual turns never end on their own; server VAD ends one at every pause; semantic VAD where a sentence ended.
    this.turns.thresholds = { end: d === null ? Number.POSITIVE_INFINITY : d.type === 'server_vad' ? 0 : 0.5 };
    const codec = FORMATS[next.format]!;
    session.handleText({
      type: 'config',
      encoding: codec.encoding,
      sample_rate: next.rate,
      endpointing_ms: d?.type === 'server_vad' ? d.silence_duration_ms : 200,
      // A segment cut for length (a long stretch of speech) is not a pause: the same silence after its last word ends the item.
      utterance_end_ms: d === null ? 0 : d.type === 'semantic_vad' ? EAGERNESS_MS[d.eagerness]! : d.silence_duration_ms,
      ...(model.id ? { model_id: model.id } : {}),
    });
    reply(ga ? this.event('session.updated', { session: this.gaSession() }) : this.event('transcription_session.updated', { session: this.betaSession() }));
  }

  private gaSession(): object {
    const s = this.settings;
    const codec = FORMATS[s.format]!;
    return {
      type: 'transcription',
      id: this.sessionObject,
      object: 'realtime.transcription_session',
      audio: {
        input: {
          format: codec.encoding === 'pcm16' ? { type: 'audio/pcm', rate: s.rate } : { type: codec.encoding === 'mulaw' ? 'audio/pcmu' : 'audio/pcma' },
          transcription: { model: s.model, language: s.language, prompt: s.prompt },
          turn_detection: s.detection,
          noise_reduction: null,
        },
      },
      include: null,
    };
  }

  private betaSession(): object {
    const s = this.settings;
    const codec = FORMATS[s.format]!;
    return {
      id: this.sessionObject,
      object: 'realtime.transcription_session',
      input_audio_format: codec.encoding === 'pcm16' ? 'pcm16' : codec.encoding === 'mulaw' ? 'g711_ulaw' : 'g711_alaw',
      input_audio_transcription: { model: s.model, language: s.language, prompt: s.prompt },
      turn_detection: s.detection,
      input_audio_noise_reduction: null,
      include: null,
    };
  }

  private event(type: string, fields: object): object {
    return { event_id: `event_${newEventId()}`, type, ...fields };
  }

  /** An error event in OpenAI's shape (the SDK raises it as an OpenAIRealtimeError). */
  private error(code: string, message: string, param: string | null = null): object {
    return this.event('error', { error: { type: 'invalid_request_error', code, message, param, event_id: null } });
  }
}

/** `/v1/realtime?intent=transcription`. */
export const openaiRealtime = (deps: TranscribeDeps) =>
  vendorSocket(deps, {
    name: 'openai',
    path: '/v1/realtime',
    parse: (q) => parseRealtimeQuery(q),
    connect: (_keep: null, session: SessionOptions) => new RealtimeTranslator(session.sessionId, deps.registry.catalog),
  });
