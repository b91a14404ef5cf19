import type { Database } from 'bun:sqlite';
import { Elysia, t } from 'elysia';

const HistoryRow = t.Object({
  id: t.String(),
  session_id: t.String(),
  model_id: t.String(),
  content: t.String(),
  latency_ms: t.Integer(),
  created_at: t.String({ format: 'date-time' }),
});

const Query = t.Object({
  limit: t.Integer({ minimum: 1, maximum: 500, default: 50, error: 'limit must be an integer from 1 to 500' }),
  offset: t.Integer({ minimum: 0, default: 0, error: 'offset must be a non-negative integer' }),
  session_id: t.Optional(t.String({ minLength: 1, maxLength: 64, error: 'session_id must be 1 to 64 characters' })),
  model_id: t.Optional(t.String({ minLength: 1, maxLength: 200, error: 'model_id must be 1 to 200 characters' })),
});

/** `GET /api/v1/history`: one row per final, newest first, from the history projection. */
export const historyRoutes = (db: Database) =>
  new Elysia({ name: 'history', prefix: '/api/v1' }).get(
    '/history',
    ({ query }) => {
      const where: string[] = [];
      const params: Record<string, string> = {};
      if (query.session_id) (where.push('session_id = $session_id'), (params.session_id = query.session_id));
      if (query.model_id) (where.push('model_id = $model_id'), (params.model_id = query.model_id));
      const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      const items = db
        .query(`SELECT id, session_id, model_id, content, latency_ms, created_at FROM history ${filter} ORDER BY position DESC LIMIT $limit OFFSET $offset`)
        .all({ ...params, limit: query.limit, offset: query.offset }) as (typeof HistoryRow.static)[];
      const { total } = db.query(`SELECT COUNT(*) AS total FROM history ${filter}`).get(params) as { total: number };
      return { items, total, limit: query.limit, offset: query.offset };
    },
    {
      query: Query,
      response: t.Object({ items: t.Array(HistoryRow), total: t.Integer(), limit: t.Integer(), offset: t.Integer() }),
      detail: { summary: 'Final transcripts, newest first', tags: ['history'] },
    },
  );
