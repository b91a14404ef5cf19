// The dictation trainer's events: items and their spoken audio, tags, scored attempts.
import { Type as t } from '@sinclair/typebox';

const Owner = t.Union([t.String(), t.Null()], { description: 'the user who owns it; null when auth is off' });
const Difficulty = t.Integer({ minimum: 1, maximum: 5 });
const Tags = t.Array(t.String());
const AudioHash = t.String({ description: 'SHA-256 of (text, locale, voice, speed): the key identical requests share' });

export const AlignedWordSchema = t.Object({
  mark: t.Union([t.Literal('correct'), t.Literal('substituted'), t.Literal('missing'), t.Literal('extra')]),
  ref: t.Union([t.String(), t.Null()]),
  hyp: t.Union([t.String(), t.Null()]),
});

export const dictationEventSchemas = {
  ItemCreated: t.Object({
    item_id: t.String(),
    user_id: Owner,
    locale: t.String(),
    text: t.String(),
    difficulty: Difficulty,
    /** True when voxlog estimated the difficulty (see src/dictation/items/difficulty.ts). */
    difficulty_inferred: t.Boolean(),
    tags: Tags,
  }),
  /** Only the fields that changed are present. */
  ItemUpdated: t.Object({ item_id: t.String(), difficulty: t.Optional(Difficulty), tags: t.Optional(Tags) }),
  ItemDeleted: t.Object({ item_id: t.String() }),
  /** On the item's stream: the item's audio is (now) the file for `audio_hash`. */
  TtsRequested: t.Object({ item_id: t.String(), audio_hash: AudioHash, text: t.String(), locale: t.String(), voice: t.String(), speed: t.Number() }),
  /** On `tts-<hash>`: the audio exists, content-addressed by `audio_hash`. */
  TtsCompleted: t.Object({
    audio_hash: AudioHash,
    /** SHA-256 of the WAV file's bytes (the ETag). */
    file_sha256: t.String(),
    bytes: t.Integer({ minimum: 0 }),
    duration_ms: t.Integer({ minimum: 0 }),
    sample_rate: t.Integer({ minimum: 1 }),
    provider: t.String(),
    voice: t.String(),
    synthesis_ms: t.Integer({ minimum: 0 }),
  }),
  /** On `tts-<hash>`: one try failed; `retrying` says whether another follows. */
  TtsFailed: t.Object({ audio_hash: AudioHash, reason: t.String(), attempt: t.Integer({ minimum: 1 }), retrying: t.Boolean() }),
  /** On `tts-<hash>`: the file was deleted (no item uses it any more); a new request makes it again. */
  TtsAudioRemoved: t.Object({ audio_hash: AudioHash }),
  /** A node takes the audio to make it; no other node makes it until `lease_ms` after this passes (its synthesis timeout and more). */
  TtsClaimed: t.Object({ audio_hash: AudioHash, node: t.String({ minLength: 1 }), lease_ms: t.Integer({ minimum: 1 }) }),
  TagCreated: t.Object({ user_id: Owner, name: t.String() }),
  /** The tag is gone from the owner's tag list and from every one of their items. */
  TagDeleted: t.Object({ user_id: Owner, name: t.String() }),
  AttemptScored: t.Object({
    attempt_id: t.String(),
    item_id: t.String(),
    user_id: Owner,
    kind: t.Union([t.Literal('typed'), t.Literal('spoken'), t.Literal('live')]),
    locale: t.String(),
    reference: t.String(),
    /** What was typed, or the transcript of what was said. */
    text: t.String(),
    model_id: t.Union([t.String(), t.Null()]),
    audio_ms: t.Union([t.Integer({ minimum: 0 }), t.Null()]),
    session_id: t.Union([t.String(), t.Null()]),
    /** How long the item's audio plays (time spent listening), when it was ready. */
    listen_ms: t.Union([t.Integer({ minimum: 0 }), t.Null()]),
    fold_accents: t.Boolean(),
    wer: t.Number({ minimum: 0 }),
    cer: t.Number({ minimum: 0 }),
    accuracy: t.Number({ minimum: 0, maximum: 1 }),
    reference_words: t.Integer({ minimum: 0 }),
    substitutions: t.Integer({ minimum: 0 }),
    deletions: t.Integer({ minimum: 0 }),
    insertions: t.Integer({ minimum: 0 }),
    words: t.Array(AlignedWordSchema),
  }),
};

export const dictationSchemaVersions = {
  ItemCreated: 1,
  ItemUpdated: 1,
  ItemDeleted: 1,
  TtsRequested: 1,
  TtsCompleted: 1,
  TtsFailed: 1,
  TtsAudioRemoved: 1,
  TtsClaimed: 1,
  TagCreated: 1,
  TagDeleted: 1,
  AttemptScored: 1,
} as const satisfies Record<keyof typeof dictationEventSchemas, number>;
