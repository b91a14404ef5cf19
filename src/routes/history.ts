import type { Database } from 'bun:sqlite';
import { Elysia, t } from 'elysia';
import { callerOf, ownerFilter } from '../auth/principal';
import { idFilter, pageQuery, whereEquals } from './paging';

const HistoryRow = t.Object({
  id: t.String(),
  session_id: t.String(),
  model_id: t.String(),
  content: t.String(),
  latency_ms: t.Integer(),
  created_at: t.String({ format: 'date-time' }),
});

/** `GET /api/v1/history`: one row per final, newest first, from the history projection. */
export const historyRoutes = (db: Database) =>
  new Elysia({ name: 'history', prefix: '/api/v1' }).get(
    '/history',
    ({ query, request }) => {
      const filter = whereEquals({ session_id: query.session_id, model_id: query.model_id });
      const owner = ownerFilter(callerOf(request));
      const mine = 'session_id IN (SELECT id FROM sessions WHERE user_id = $owner)';
      const clause = owner === undefined ? filter.clause : filter.clause ? `${filter.clause} AND ${mine}` : `WHERE ${mine}`;
      const params: Record<string, string> = owner === undefined ? filter.params : { ...filter.params, owner };
      const items = db
        .query(`SELECT id, session_id, model_id, content, latency_ms, created_at FROM history ${clause} ORDER BY position DESC LIMIT $limit OFFSET $offset`)
        .all({ ...params, limit: query.limit, offset: query.offset }) as (typeof HistoryRow.static)[];
      const { total } = db.query(`SELECT COUNT(*) AS total FROM history ${clause}`).get(params) as { total: number };
      return { items, total, limit: query.limit, offset: query.offset };
    },
    {
      query: t.Object({ ...pageQuery, session_id: idFilter('session_id', 64), model_id: idFilter('model_id') }),
      response: t.Object({ items: t.Array(HistoryRow), total: t.Integer(), limit: t.Integer(), offset: t.Integer() }),
      detail: { summary: 'Final transcripts, newest first', tags: ['history'] },
    },
  );
