import { sql, type Projection } from '../projection';

/** One row per final transcript, newest first: what `GET /api/v1/history` serves. */
export const historyProjection: Projection = {
  name: 'history',
  version: 1,
  canHandle: ['SegmentFinalized'],
  tables: ['history'],
  init: `
    CREATE TABLE IF NOT EXISTS history (
      id TEXT PRIMARY KEY, session_id TEXT NOT NULL, model_id TEXT NOT NULL, content TEXT NOT NULL,
      latency_ms INTEGER NOT NULL, created_at TEXT NOT NULL, position INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS history_newest ON history (position DESC);
    CREATE INDEX IF NOT EXISTS history_session ON history (session_id, position);
    CREATE INDEX IF NOT EXISTS history_model ON history (model_id, position);`,
  evolve(event) {
    if (event.type !== 'SegmentFinalized') return [];
    return [
      sql(
        `INSERT INTO history (id, session_id, model_id, content, latency_ms, created_at, position)
         VALUES ($id, $session_id, $model_id, $content, $latency_ms, $created_at, $position)
         ON CONFLICT (id) DO NOTHING`,
        {
          id: event.id,
          session_id: event.data.session_id,
          model_id: event.data.model_id,
          content: event.data.formatted?.text ?? event.data.text,
          latency_ms: event.data.latency_ms,
          created_at: event.createdAt,
          position: event.position,
        },
      ),
    ];
  },
};
