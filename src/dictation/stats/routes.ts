import type { Database } from 'bun:sqlite';
import { Elysia, t } from 'elysia';
import { callerOf, mayAccess, ownerFilter } from '../../auth/principal';
import { NotFoundError, ValidationError } from '../../errors';
import { idFilter, idParams, pageQuery } from '../../routes/paging';
import { attemptWhere } from '../attempts/read';
import { practiceLog, progress, summary } from './queries';
import { Instant, timeWindow } from './window';

const Num = t.Union([t.Number(), t.Null()]);
const SummarySchema = t.Object({
  attempts: t.Integer(),
  items_practised: t.Integer(),
  typed: t.Integer(),
  spoken: t.Integer(),
  live: t.Integer(),
  mean_wer: Num,
  best_wer: Num,
  mean_cer: Num,
  mean_accuracy: Num,
  best_accuracy: Num,
  practice_ms: t.Integer({ description: 'listening (item audio length per attempt) plus speaking (spoken and live attempts)' }),
  first_at: t.Union([t.String(), t.Null()]),
  last_at: t.Union([t.String(), t.Null()]),
});
const PracticeRowSchema = t.Object({
  item_id: t.String(),
  text: t.String(),
  tags: t.Array(t.String()),
  deleted: t.Boolean(),
  attempts: t.Integer(),
  mean_wer: t.Number(),
  best_wer: t.Number(),
  last_wer: t.Number(),
  mean_accuracy: t.Number(),
  best_accuracy: t.Number(),
  last_practiced_at: t.String(),
});
const ProgressDaySchema = t.Object({ date: t.String(), attempts: t.Integer(), mean_wer: Num, mean_accuracy: Num, best_accuracy: Num, practice_ms: t.Integer() });
const ItemIdQuery = idFilter('item_id', 64);

function checkTimeZone(tz: string): string {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    throw new ValidationError(`tz ${JSON.stringify(tz)} is not an IANA time zone such as Europe/Paris or UTC`);
  }
}

/** Dictation statistics, computed from the attempts projection; a user sees their own, an admin everyone's. */
export const dictationStatsRoutes = (db: Database, now: () => Date = () => new Date()) =>
  new Elysia({ name: 'dictation-stats', prefix: '/api/v1/stats' })
    .get('/summary', ({ query, request }) => summary(db, { owner: ownerFilter(callerOf(request)), itemId: query.item_id, ...timeWindow(query.since, query.until) }), {
      query: t.Object({ since: Instant('since'), until: Instant('until'), item_id: ItemIdQuery }),
      response: SummarySchema,
      detail: { summary: 'Practice summary: attempts, items practised, mean and best WER and accuracy, practice time', tags: ['dictation', 'stats'] },
    })
    .get(
      '/practice-log',
      ({ query, request }) => {
        const { items, total } = practiceLog(db, { owner: ownerFilter(callerOf(request)), ...timeWindow(query.since, query.until) }, query.limit, query.offset);
        return { items, total, limit: query.limit, offset: query.offset };
      },
      {
        query: t.Object({ ...pageQuery, since: Instant('since'), until: Instant('until') }),
        response: t.Object({ items: t.Array(PracticeRowSchema), total: t.Integer(), limit: t.Integer(), offset: t.Integer() }),
        detail: { summary: 'Per item aggregates with tags, most recently practised first (deleted items included, marked)', tags: ['dictation', 'stats'] },
      },
    )
    .get(
      '/items/:id',
      ({ params, request }) => {
        const caller = callerOf(request);
        const item = db.query('SELECT user_id FROM items WHERE id = ?').get(params.id) as { user_id: string | null } | null;
        if (!item || !mayAccess(caller, item.user_id)) throw new NotFoundError(`no item ${params.id}`, 'item_not_found');
        const scope = { owner: ownerFilter(caller), itemId: params.id };
        const { clause, params: where } = attemptWhere(scope);
        const recent = db.query(`SELECT id, kind, wer, accuracy, created_at FROM attempts ${clause} ORDER BY position DESC LIMIT 100`).all(where);
        return { item_id: params.id, ...summary(db, scope), recent: recent as { id: string; kind: string; wer: number; accuracy: number; created_at: string }[] };
      },
      {
        params: idParams('item'),
        response: t.Object({
          item_id: t.String(),
          ...SummarySchema.properties,
          recent: t.Array(t.Object({ id: t.String(), kind: t.String(), wer: t.Number(), accuracy: t.Number(), created_at: t.String() })),
        }),
        detail: { summary: "One item's statistics and its last 100 attempts (also for a deleted item)", tags: ['dictation', 'stats'] },
      },
    )
    .get(
      '/progress',
      ({ query, request }) => {
        const tz = checkTimeZone(query.tz ?? 'UTC');
        return { days: query.days, tz, series: progress(db, { owner: ownerFilter(callerOf(request)), itemId: query.item_id }, query.days, tz, now()) };
      },
      {
        query: t.Object({
          days: t.Integer({ minimum: 1, maximum: 365, default: 30, error: 'days must be an integer from 1 to 365' }),
          item_id: ItemIdQuery,
          tz: t.Optional(t.String({ minLength: 1, maxLength: 64, error: 'tz must be an IANA time zone such as Europe/Paris' })),
        }),
        response: t.Object({ days: t.Integer(), tz: t.String(), series: t.Array(ProgressDaySchema) }),
        detail: { summary: 'Daily practice series over the last 1 to 365 days, in a time zone', tags: ['dictation', 'stats'] },
      },
    );
