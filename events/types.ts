import { type Static, type TSchema, Type as t } from '@sinclair/typebox';
import { dictationEventSchemas, dictationSchemaVersions } from '../src/dictation/events';
import { jobEventSchemas, jobSchemaVersions } from '../src/jobs/events';
import { Formatted, Word } from './words';

export { Formatted, Word } from './words';

const Ms = t.Integer({ minimum: 0, description: 'milliseconds of session audio' });

/** Data schemas of every persisted event, by type. Bump `schemaVersions` when a shape changes. */
export const eventSchemas = {
  SessionOpened: t.Object({
    session_id: t.String(),
    model_id: t.String(),
    encoding: t.String(),
    sample_rate: t.Integer(),
    user_id: t.Union([t.String(), t.Null()]),
    language: t.Union([t.String(), t.Null()], { description: 'since schema v2; v1 events read as null' }),
    protocol: t.String({ description: "what the client speaks: voxlog, deepgram, wyoming, twilio, assemblyai, openai, flux, vosk or sherpa (since schema v3; older events read as voxlog)" }),
    recorded: t.Boolean({ description: 'the client asked for its audio to be kept (record=true), in VOXLOG_FILES_DIR/sessions (since schema v4; older events read as false)' }),
  }),
  PartialTranscribed: t.Object({
    session_id: t.String(),
    segment: t.Integer({ minimum: 0 }),
    text: t.String(),
    start_ms: Ms,
    end_ms: Ms,
    model_id: t.String(),
  }),
  SegmentFinalized: t.Object({
    session_id: t.String(),
    segment: t.Integer({ minimum: 0 }),
    text: t.String(),
    start_ms: Ms,
    end_ms: Ms,
    words: t.Array(Word),
    latency_ms: t.Integer({ minimum: 0 }),
    model_id: t.String(),
    reason: t.Union([t.Literal('endpoint'), t.Literal('finalize'), t.Literal('close'), t.Literal('switch'), t.Literal('max_length')]),
    /**
     * The segment as written text (the session's `format`), beside the recogniser's `text` and `words`
     * above, which stay as they came: a replay can write them again with a newer model. Null: not formatted.
     */
    formatted: t.Union([t.Null(), Formatted]),
  }),
  SpeechStarted: t.Object({
    session_id: t.String(),
    /** The segment the speech will be finalized in. */
    segment: t.Integer({ minimum: 0 }),
    at_ms: Ms,
  }),
  UtteranceEnded: t.Object({
    session_id: t.String(),
    /** The last segment of the utterance. */
    segment: t.Integer({ minimum: 0 }),
    /** The end of its last word; no word came for the session's `utterance_end_ms` after it. */
    last_word_end_ms: Ms,
    at_ms: Ms,
  }),
  ModelSwitched: t.Object({
    session_id: t.String(),
    from_model_id: t.String(),
    to_model_id: t.String(),
    at_ms: Ms,
    /** Audio the old model processed since it became the session's model. */
    from_audio_ms: Ms,
    /** How long audio was held while the old model flushed and the new one loaded. */
    waited_ms: t.Integer({ minimum: 0 }),
  }),
  SessionResumed: t.Object({
    session_id: t.String(),
    model_id: t.String(),
    encoding: t.String(),
    sample_rate: t.Integer(),
    /** Where the session's audio timeline continues. */
    at_ms: Ms,
    next_segment: t.Integer({ minimum: 0 }),
  }),
  SessionClosed: t.Object({
    session_id: t.String(),
    reason: t.String(),
    /** End of the session's audio timeline (across resumes). */
    audio_ms: Ms,
    /** The model in use at close and the audio it processed since it became current in this connection. */
    model_id: t.String(),
    model_audio_ms: Ms,
    segments: t.Integer({ minimum: 0 }),
    partials: t.Integer({ minimum: 0 }),
    duration_ms: t.Integer({ minimum: 0 }),
  }),
  EngineStarted: t.Object({
    model_id: t.String(),
    load_ms: t.Integer({ minimum: 0 }),
    worker: t.Integer({ minimum: 0 }),
    restarts: t.Integer({ minimum: 0 }),
    /** After a crash: time from the crash to this worker being ready again. */
    down_ms: t.Integer({ minimum: 0 }),
  }),
  EngineCrashed: t.Object({ model_id: t.String(), message: t.String(), worker: t.Integer({ minimum: 0 }), restarts: t.Integer({ minimum: 0 }), streams: t.Integer({ minimum: 0 }) }),
  EngineFailed: t.Object({ model_id: t.String(), message: t.String() }),
  UserCreated: t.Object({
    user_id: t.String(),
    name: t.String(),
    role: t.Union([t.Literal('admin'), t.Literal('user')]),
    /** argon2id (Bun.password); redacted from every read API. */
    password_hash: t.String(),
  }),
  UserRoleChanged: t.Object({ user_id: t.String(), role: t.Union([t.Literal('admin'), t.Literal('user')]) }),
  UserDisabled: t.Object({ user_id: t.String(), disabled: t.Boolean() }),
  ApiKeyCreated: t.Object({
    key_id: t.String(),
    user_id: t.String(),
    name: t.String(),
    /** SHA-256 of the whole key (keys are random, so a slow hash buys nothing); redacted from read APIs. */
    key_hash: t.String(),
    scopes: t.Array(t.String()),
  }),
  ApiKeyRevoked: t.Object({ key_id: t.String(), user_id: t.String() }),
  /** Recorded at most once per key per few minutes, for the key's last-used time. */
  ApiKeyUsed: t.Object({ key_id: t.String(), user_id: t.String() }),
  ...dictationEventSchemas,
  ...jobEventSchemas,
} satisfies Record<string, TSchema>;

export type EventType = keyof typeof eventSchemas;
export const eventTypes = Object.keys(eventSchemas) as EventType[];
export const schemaVersions: Record<EventType, number> = {
  SessionOpened: 4,
  PartialTranscribed: 1,
  SegmentFinalized: 2,
  SpeechStarted: 1,
  UtteranceEnded: 1,
  ModelSwitched: 1,
  SessionResumed: 1,
  SessionClosed: 1,
  EngineStarted: 1,
  EngineCrashed: 1,
  EngineFailed: 1,
  UserCreated: 1,
  UserRoleChanged: 1,
  UserDisabled: 1,
  ApiKeyCreated: 1,
  ApiKeyRevoked: 1,
  ApiKeyUsed: 1,
  ...dictationSchemaVersions,
  ...jobSchemaVersions,
};

type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/** For each type, how data stored at schema version v becomes version v + 1. */
const upcasters: Partial<Record<EventType, Record<number, Upcaster>>> = {
  SessionOpened: { 1: (d) => ({ ...d, language: null }), 2: (d) => ({ ...d, protocol: 'voxlog' }), 3: (d) => ({ ...d, recorded: false }) },
  SegmentFinalized: { 1: (d) => ({ ...d, formatted: null }) },
  JobSubmitted: { 1: (d) => ({ ...d, format: null }) },
  JobCompleted: { 1: (d) => ({ ...d, formatted: null }) },
};

/** Brings data stored at an older schema version up to the current one, step by step. */
export function upcast(type: EventType, storedVersion: number, data: Record<string, unknown>): Record<string, unknown> {
  let version = storedVersion;
  let out = data;
  while (version < (schemaVersions[type] ?? version)) {
    const step = upcasters[type]?.[version];
    if (!step) throw new Error(`no upcaster for ${type} from schema v${version}`);
    out = step(out);
    version += 1;
  }
  return out;
}

export interface EventMetadata {
  readonly correlation_id?: string;
  readonly [key: string]: unknown;
}

/** A domain event before it is stored: readonly `{ type, data, metadata }`. */
export type VoxEvent = {
  [K in EventType]: { readonly type: K; readonly data: Static<(typeof eventSchemas)[K]>; readonly metadata?: EventMetadata; readonly id?: string };
}[EventType];

export type EventOf<K extends EventType> = Extract<VoxEvent, { type: K }>;

/** An event as read back from the log. */
export type RecordedEvent = VoxEvent & {
  readonly id: string;
  readonly streamId: string;
  readonly version: number;
  readonly position: number;
  readonly schemaVersion: number;
  readonly createdAt: string;
};

/** Builds an event with its type checked against its data. */
export const event = <K extends EventType>(type: K, data: Static<(typeof eventSchemas)[K]>, metadata?: EventMetadata): EventOf<K> =>
  ({ type, data, metadata }) as EventOf<K>;
