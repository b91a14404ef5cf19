import type { Database } from 'bun:sqlite';
import { t } from 'elysia';
import type { SqlValue } from '../../../events/projection';
import { AlignedWordSchema } from '../events';

export const AttemptSchema = t.Object({
  id: t.String(),
  item_id: t.String(),
  user_id: t.Union([t.String(), t.Null()]),
  kind: t.Union([t.Literal('typed'), t.Literal('spoken'), t.Literal('live')]),
  reference: t.String(),
  text: t.String({ description: 'what was typed, or the transcript of what was said' }),
  model_id: t.Union([t.String(), t.Null()]),
  audio_ms: t.Union([t.Integer(), t.Null()]),
  session_id: t.Union([t.String(), t.Null()]),
  wer: t.Number(),
  cer: t.Number(),
  accuracy: t.Number(),
  reference_words: t.Integer(),
  substitutions: t.Integer(),
  deletions: t.Integer(),
  insertions: t.Integer(),
  words: t.Array(AlignedWordSchema),
  fold_accents: t.Boolean(),
  item_deleted: t.Boolean(),
  created_at: t.String(),
});
export type Attempt = typeof AttemptSchema.static;

const COLUMNS = `id, item_id, user_id, kind, reference, text, model_id, audio_ms, session_id, wer, cer, accuracy, reference_words,
  substitutions, deletions, insertions, words, fold_accents, item_deleted, created_at`;

type Row = Omit<Attempt, 'words' | 'fold_accents' | 'item_deleted'> & { words: string; fold_accents: number; item_deleted: number };
const toAttempt = (r: Row): Attempt => ({ ...r, words: JSON.parse(r.words), fold_accents: r.fold_accents === 1, item_deleted: r.item_deleted === 1 });

export function readAttempt(db: Database, id: string): Attempt | null {
  const row = db.query(`SELECT ${COLUMNS} FROM attempts WHERE id = ?`).get(id) as Row | null;
  return row ? toAttempt(row) : null;
}

export interface AttemptFilter {
  readonly owner: string | undefined;
  readonly itemId?: string;
  readonly sessionId?: string;
  readonly since?: string;
  readonly until?: string;
  readonly limit: number;
  readonly offset: number;
}

/** Where-clause over `attempts` for an owner, an item and a time window (stats use it too). */
export function attemptWhere(f: Omit<AttemptFilter, 'limit' | 'offset'>): { clause: string; params: Record<string, SqlValue> } {
  const parts: string[] = [];
  const params: Record<string, SqlValue> = {};
  if (f.owner !== undefined) (parts.push('user_id = $owner'), (params.owner = f.owner));
  if (f.itemId !== undefined) (parts.push('item_id = $item_id'), (params.item_id = f.itemId));
  if (f.sessionId !== undefined) (parts.push('session_id = $session_id'), (params.session_id = f.sessionId));
  if (f.since !== undefined) (parts.push('created_at >= $since'), (params.since = f.since));
  if (f.until !== undefined) (parts.push('created_at < $until'), (params.until = f.until));
  return { clause: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** A page of attempts, newest first, and how many match. */
export function listAttempts(db: Database, f: AttemptFilter): { items: Attempt[]; total: number } {
  const { clause, params } = attemptWhere(f);
  const rows = db.query(`SELECT ${COLUMNS} FROM attempts ${clause} ORDER BY position DESC LIMIT $limit OFFSET $offset`).all({ ...params, limit: f.limit, offset: f.offset }) as Row[];
  const { total } = db.query(`SELECT COUNT(*) AS total FROM attempts ${clause}`).get(params) as { total: number };
  return { items: rows.map(toAttempt), total };
}
