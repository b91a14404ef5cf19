import { t } from 'elysia';

/** Longest item text: a paragraph, never a chapter. */
export const MAX_TEXT_CHARS = 1000;
export const MAX_TAGS = 20;
export const MAX_BULK = 500;

/** No commas: `GET /items?tags=a,b` lists tags with them. */
export const TagName = t.String({ minLength: 1, maxLength: 40, pattern: '^[^,]+$', error: 'each tag must be a string of 1 to 40 characters without commas' });
export const Tags = t.Array(TagName, { maxItems: MAX_TAGS, error: `tags must be an array of at most ${MAX_TAGS} strings of 1 to 40 characters without commas` });
export const Difficulty = t.Integer({ minimum: 1, maximum: 5, error: 'difficulty must be an integer from 1 to 5' });
export const Speed = t.Number({ minimum: 0.5, maximum: 2, error: 'speed must be a number from 0.5 to 2' });
export const VoiceId = t.String({ minLength: 1, maxLength: 200, error: 'voice must be a voice id from GET /api/v1/tts/voices' });

/** What a client sends to create an item (alone or as one row of a bulk request). */
export const ItemInput = t.Object({
  locale: t.String({ minLength: 1, maxLength: 35, error: 'locale must be a language tag such as en-US' }),
  text: t.String({ minLength: 1, maxLength: MAX_TEXT_CHARS, error: `text must be 1 to ${MAX_TEXT_CHARS} characters` }),
  difficulty: t.Optional(Difficulty),
  tags: t.Optional(Tags),
  voice: t.Optional(VoiceId),
  speed: t.Optional(Speed),
});

export const AudioInfo = t.Object({
  status: t.Union([t.Literal('pending'), t.Literal('ready'), t.Literal('failed'), t.Literal('removed')]),
  voice: t.Union([t.String(), t.Null()]),
  speed: t.Union([t.Number(), t.Null()]),
  provider: t.Union([t.String(), t.Null()]),
  duration_ms: t.Union([t.Integer(), t.Null()]),
  sample_rate: t.Union([t.Integer(), t.Null()]),
  tries: t.Integer(),
  error: t.Union([t.String(), t.Null()]),
  url: t.String(),
});

export const Item = t.Object({
  id: t.String(),
  user_id: t.Union([t.String(), t.Null()]),
  locale: t.String(),
  text: t.String(),
  difficulty: t.Integer(),
  difficulty_inferred: t.Boolean(),
  tags: t.Array(t.String()),
  audio: AudioInfo,
  attempts: t.Integer(),
  last_score: t.Union([t.Number(), t.Null()], { description: 'accuracy (1 - WER, at least 0) of the latest attempt' }),
  best_score: t.Union([t.Number(), t.Null()]),
  best_wer: t.Union([t.Number(), t.Null()]),
  last_practiced_at: t.Union([t.String(), t.Null()]),
  created_at: t.String(),
  updated_at: t.String(),
});
export type Item = typeof Item.static;
