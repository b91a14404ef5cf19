import type { Database } from 'bun:sqlite';
import { Elysia, t } from 'elysia';

const ModelStats = t.Object({
  model_id: t.String(),
  sessions: t.Integer(),
  finals: t.Integer(),
  audio_seconds: t.Number(),
  latency_p50_ms: t.Union([t.Integer(), t.Null()]),
  latency_p95_ms: t.Union([t.Integer(), t.Null()]),
});

/** `GET /api/v1/stats/transcription`: per-model counters and final latency percentiles. */
export const statsRoutes = (db: Database) =>
  new Elysia({ name: 'stats', prefix: '/api/v1' }).get(
    '/stats/transcription',
    () => {
      const rows = db.query('SELECT model_id, sessions, finals, audio_ms FROM transcription_stats ORDER BY model_id').all() as {
        model_id: string;
        sessions: number;
        finals: number;
        audio_ms: number;
      }[];
      const percentile = db.query('SELECT latency_ms FROM segments WHERE model_id = ? ORDER BY latency_ms LIMIT 1 OFFSET ?');
      const at = (modelId: string, n: number, p: number) =>
        n === 0 ? null : ((percentile.get(modelId, Math.min(n - 1, Math.floor(p * n))) as { latency_ms: number } | null)?.latency_ms ?? null);
      return {
        models: rows.map((r) => ({
          model_id: r.model_id,
          sessions: r.sessions,
          finals: r.finals,
          audio_seconds: r.audio_ms / 1000,
          latency_p50_ms: at(r.model_id, r.finals, 0.5),
          latency_p95_ms: at(r.model_id, r.finals, 0.95),
        })),
      };
    },
    {
      response: t.Object({ models: t.Array(ModelStats) }),
      detail: { summary: 'Transcription statistics per model', tags: ['stats'] },
    },
  );
