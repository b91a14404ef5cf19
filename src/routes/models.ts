import { Elysia, t } from 'elysia';
import type { EngineRegistry } from '../engine/registry';

const ModelInfo = t.Object({
  id: t.String(),
  kind: t.Union([t.Literal('streaming'), t.Literal('offline'), t.Literal('vad'), t.Literal('punctuation')]),
  language: t.String(),
  description: t.String(),
  available: t.Boolean({ description: 'all model files are on disk' }),
  loaded: t.Boolean({ description: 'an engine has it loaded and ready' }),
  status: t.String({ description: 'unloaded, missing, loading, ready, crashed, failed or stopped' }),
  size_bytes: t.Union([t.Integer(), t.Null()]),
  error: t.Union([t.String(), t.Null()], { description: 'why the model is missing or failed' }),
  batch: t.Union([t.Object({ size: t.Integer({ description: 'streams decoded in one call; 1 is one by one' }), reason: t.String() }), t.Null()], {
    description: "the model's batch decoding, known once it has been probed (its first load)",
  }),
  default: t.Boolean({ description: 'the model a session, job or attempt gets when it names none' }),
});

/** `GET /api/v1/models`: the catalog with what is on disk and loaded. */
export const modelRoutes = (registry: EngineRegistry, defaultModel: string) =>
  new Elysia({ name: 'models', prefix: '/api/v1' }).get('/models', () => ({ models: registry.list().map((m) => ({ ...m, default: m.id === defaultModel })) }), {
    response: t.Object({ models: t.Array(ModelInfo) }),
    detail: { summary: 'List models', tags: ['models'] },
  });
