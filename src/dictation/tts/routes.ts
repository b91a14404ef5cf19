import { Elysia, t } from 'elysia';
import { allVoices, SUPPORTED_LOCALES, voiceStatus, type VoiceEnvironment } from './voices';

const VoiceSchema = t.Object({
  id: t.String(),
  provider: t.String(),
  name: t.String(),
  locales: t.Array(t.String()),
  description: t.String(),
  available: t.Boolean(),
  reason: t.Union([t.String(), t.Null()], { description: 'why it cannot speak now' }),
});

/** `GET /api/v1/tts/voices`: every voice, whether it can speak now, and the locales items may use. */
export const ttsRoutes = (env: VoiceEnvironment) =>
  new Elysia({ name: 'tts', prefix: '/api/v1' }).get(
    '/tts/voices',
    ({ query }) => {
      const voices = allVoices(env).map((v) => voiceStatus(v, env));
      const shown = voices.filter((v) => (query.locale === undefined || v.locales.some((l) => l.toLowerCase() === query.locale!.toLowerCase())) && (query.available !== 'true' || v.available));
      return { voices: shown.map((v) => ({ ...v, locales: [...v.locales] })), locales: SUPPORTED_LOCALES };
    },
    {
      query: t.Object({
        locale: t.Optional(t.String({ minLength: 1, maxLength: 35, error: 'locale must be a language tag such as en-US' })),
        available: t.Optional(t.Union([t.Literal('true'), t.Literal('false')], { error: 'available must be true or false' })),
      }),
      response: t.Object({ voices: t.Array(VoiceSchema), locales: t.Array(t.String()) }),
      detail: { summary: 'Text-to-speech voices for dictation items, and whether each can speak now', tags: ['dictation'] },
    },
  );
