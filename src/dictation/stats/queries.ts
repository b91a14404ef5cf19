import type { Database } from 'bun:sqlite';
import { attemptWhere, type AttemptFilter } from '../attempts/read';

type Scope = Omit<AttemptFilter, 'limit' | 'offset' | 'sessionId'>;

export interface Summary {
  readonly attempts: number;
  readonly items_practised: number;
  readonly typed: number;
  readonly spoken: number;
  readonly live: number;
  readonly mean_wer: number | null;
  readonly best_wer: number | null;
  readonly mean_cer: number | null;
  readonly mean_accuracy: number | null;
  readonly best_accuracy: number | null;
  /** Time spent listening to items (their audio length per attempt) plus speaking (spoken and live attempts). */
  readonly practice_ms: number;
  readonly first_at: string | null;
  readonly last_at: string | null;
}

const AGGREGATES = `COUNT(*) AS attempts, COUNT(DISTINCT item_id) AS items_practised,
  COALESCE(SUM(kind = 'typed'), 0) AS typed, COALESCE(SUM(kind = 'spoken'), 0) AS spoken, COALESCE(SUM(kind = 'live'), 0) AS live,
  AVG(wer) AS mean_wer, MIN(wer) AS best_wer, AVG(cer) AS mean_cer, AVG(accuracy) AS mean_accuracy, MAX(accuracy) AS best_accuracy,
  COALESCE(SUM(COALESCE(listen_ms, 0) + COALESCE(audio_ms, 0)), 0) AS practice_ms, MIN(created_at) AS first_at, MAX(created_at) AS last_at`;

export function summary(db: Database, scope: Scope): Summary {
  const { clause, params } = attemptWhere(scope);
  return db.query(`SELECT ${AGGREGATES} FROM attempts ${clause}`).get(params) as Summary;
}

export interface PracticeRow {
  readonly item_id: string;
  readonly text: string;
  readonly tags: string[];
  readonly deleted: boolean;
  readonly attempts: number;
  readonly mean_wer: number;
  readonly best_wer: number;
  readonly last_wer: number;
  readonly mean_accuracy: number;
  readonly best_accuracy: number;
  readonly last_practiced_at: string;
}

/** Per item aggregates over the scope, most recently practised first. */
export function practiceLog(db: Database, scope: Scope, limit: number, offset: number): { items: PracticeRow[]; total: number } {
  const { clause, params } = attemptWhere(scope);
  const rows = db
    .query(
      `SELECT a.item_id, COALESCE(i.text, MAX(a.reference)) AS text, (i.id IS NULL OR i.deleted_at IS NOT NULL) AS deleted,
         COUNT(*) AS attempts, AVG(a.wer) AS mean_wer, MIN(a.wer) AS best_wer, AVG(a.accuracy) AS mean_accuracy, MAX(a.accuracy) AS best_accuracy,
         MAX(a.created_at) AS last_practiced_at,
         (SELECT x.wer FROM (SELECT * FROM attempts ${clause}) x WHERE x.item_id = a.item_id ORDER BY x.position DESC LIMIT 1) AS last_wer,
         (SELECT json_group_array(tag) FROM (SELECT tag FROM item_tags WHERE item_id = a.item_id ORDER BY tag)) AS tags
       FROM (SELECT * FROM attempts ${clause}) a LEFT JOIN items i ON i.id = a.item_id
       GROUP BY a.item_id ORDER BY last_practiced_at DESC, a.item_id LIMIT $limit OFFSET $offset`,
    )
    .all({ ...params, limit, offset }) as (Omit<PracticeRow, 'tags' | 'deleted'> & { tags: string; deleted: number })[];
  const { total } = db.query(`SELECT COUNT(DISTINCT item_id) AS total FROM attempts ${clause}`).get(params) as { total: number };
  return { items: rows.map((r) => ({ ...r, tags: JSON.parse(r.tags) as string[], deleted: r.deleted === 1 })), total };
}

export interface ProgressDay {
  readonly date: string;
  readonly attempts: number;
  readonly mean_wer: number | null;
  readonly mean_accuracy: number | null;
  readonly best_accuracy: number | null;
  readonly practice_ms: number;
}

/** The calendar date of `instant` in `timeZone`, as YYYY-MM-DD. */
const localDate = (instant: Date, timeZone: string): string => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);

/** One entry per calendar day (in `timeZone`) for the last `days` days, today last; days without practice are zeros. */
export function progress(db: Database, scope: Omit<Scope, 'since' | 'until'>, days: number, timeZone: string, now: Date): ProgressDay[] {
  const today = localDate(now, timeZone);
  const dates = Array.from({ length: days }, (_, i) => new Date(Date.parse(`${today}T00:00:00Z`) - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10));
  // Two days' margin covers every offset from UTC; rows are then bucketed by their local date.
  const since = new Date(Date.parse(`${dates[0]}T00:00:00Z`) - 2 * 86_400_000).toISOString();
  const { clause, params } = attemptWhere({ ...scope, since });
  const rows = db.query(`SELECT created_at, wer, accuracy, COALESCE(listen_ms, 0) + COALESCE(audio_ms, 0) AS ms FROM attempts ${clause}`).all(params) as {
    created_at: string;
    wer: number;
    accuracy: number;
    ms: number;
  }[];
  const byDay = Map.groupBy(rows, (r) => localDate(new Date(r.created_at), timeZone));
  return dates.map((date) => {
    const day = byDay.get(date) ?? [];
    const mean = (f: (r: (typeof rows)[number]) => number) => (day.length === 0 ? null : day.reduce((s, r) => s + f(r), 0) / day.length);
    return {
      date,
      attempts: day.length,
      mean_wer: mean((r) => r.wer),
      mean_accuracy: mean((r) => r.accuracy),
      best_accuracy: day.length === 0 ? null : Math.max(...day.map((r) => r.accuracy)),
      practice_ms: day.reduce((s, r) => s + r.ms, 0),
    };
  });
}
