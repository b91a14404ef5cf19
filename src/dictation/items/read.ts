import type { Database } from 'bun:sqlite';
import type { SqlValue } from '../../../events/projection';
import type { Item } from './schemas';

/** An item row with its audio and attempt aggregates, as the routes serve it. */
const SELECT_ITEM = `
  SELECT i.id, i.user_id, i.locale, i.text, i.difficulty, i.difficulty_inferred, i.audio_hash, i.voice, i.speed, i.created_at, i.updated_at,
    COALESCE(a.status, 'pending') AS audio_status, a.provider, a.duration_ms, a.sample_rate, COALESCE(a.tries, 0) AS tries, a.error AS audio_error,
    (SELECT json_group_array(tag) FROM (SELECT tag FROM item_tags WHERE item_id = i.id ORDER BY tag)) AS tags,
    (SELECT COUNT(*) FROM attempts WHERE item_id = i.id) AS attempts,
    (SELECT accuracy FROM attempts WHERE item_id = i.id ORDER BY position DESC LIMIT 1) AS last_score,
    (SELECT MAX(accuracy) FROM attempts WHERE item_id = i.id) AS best_score,
    (SELECT MIN(wer) FROM attempts WHERE item_id = i.id) AS best_wer,
    (SELECT MAX(created_at) FROM attempts WHERE item_id = i.id) AS last_practiced_at
  FROM items i LEFT JOIN tts_audio a ON a.hash = i.audio_hash`;

type Row = Omit<Item, 'tags' | 'audio' | 'difficulty_inferred'> & {
  difficulty_inferred: number;
  tags: string;
  audio_hash: string | null;
  voice: string | null;
  speed: number | null;
  audio_status: Item['audio']['status'];
  provider: string | null;
  duration_ms: number | null;
  sample_rate: number | null;
  tries: number;
  audio_error: string | null;
};

const toItem = (r: Row): Item => ({
  id: r.id,
  user_id: r.user_id,
  locale: r.locale,
  text: r.text,
  difficulty: r.difficulty,
  difficulty_inferred: r.difficulty_inferred === 1,
  tags: JSON.parse(r.tags) as string[],
  audio: {
    status: r.audio_status,
    voice: r.voice,
    speed: r.speed,
    provider: r.provider,
    duration_ms: r.duration_ms,
    sample_rate: r.sample_rate,
    tries: r.tries,
    error: r.audio_error,
    url: `/api/v1/items/${r.id}/audio`,
  },
  attempts: r.attempts,
  last_score: r.last_score,
  best_score: r.best_score,
  best_wer: r.best_wer,
  last_practiced_at: r.last_practiced_at,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

/** A live (not deleted) item and the hash of its audio, or null. */
export function findItem(db: Database, id: string): { item: Item; audioHash: string | null } | null {
  const row = db.query(`${SELECT_ITEM} WHERE i.id = ? AND i.deleted_at IS NULL`).get(id) as Row | null;
  return row ? { item: toItem(row), audioHash: row.audio_hash } : null;
}

export interface ItemFilter {
  readonly owner: string | undefined;
  readonly locale?: string;
  readonly tags?: readonly string[];
  readonly tagsMode: 'any' | 'all';
  readonly difficultyMin?: number;
  readonly difficultyMax?: number;
  readonly practiced?: boolean;
  readonly q?: string;
  readonly sort: 'created' | 'difficulty' | 'last_practiced';
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  readonly offset: number;
}

const SORTS = {
  created: 'i.position',
  difficulty: 'i.difficulty {dir}, i.position',
  // Never-practised items go last whichever way the list runs.
  last_practiced: 'last_practiced_at IS NULL, last_practiced_at {dir}, i.position',
} as const;

/** A page of live items matching `f`, and how many match in all. */
export function listItems(db: Database, f: ItemFilter): { items: Item[]; total: number } {
  const where = ['i.deleted_at IS NULL'];
  const params: Record<string, SqlValue> = {};
  const add = (clause: string, values: Record<string, SqlValue>) => (where.push(clause), Object.assign(params, values));
  if (f.owner !== undefined) add('i.user_id = $owner', { owner: f.owner });
  if (f.locale !== undefined) add('i.locale = $locale', { locale: f.locale });
  if (f.tags && f.tags.length > 0) {
    const matching = 'SELECT COUNT(DISTINCT tag) FROM item_tags WHERE item_id = i.id AND tag IN (SELECT value FROM json_each($tags))';
    add(f.tagsMode === 'all' ? `(${matching}) = $tag_count` : `(${matching}) > 0`, { tags: JSON.stringify(f.tags), ...(f.tagsMode === 'all' ? { tag_count: new Set(f.tags).size } : {}) });
  }
  if (f.difficultyMin !== undefined) add('i.difficulty >= $dmin', { dmin: f.difficultyMin });
  if (f.difficultyMax !== undefined) add('i.difficulty <= $dmax', { dmax: f.difficultyMax });
  if (f.practiced !== undefined) add(`${f.practiced ? '' : 'NOT '}EXISTS (SELECT 1 FROM attempts WHERE item_id = i.id)`, {});
  if (f.q !== undefined) add(`i.text LIKE $q ESCAPE '\\'`, { q: `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
  const clause = `WHERE ${where.join(' AND ')}`;
  const dir = f.order.toUpperCase();
  const orderBy = `${SORTS[f.sort].replaceAll('{dir}', dir)} ${dir}`;
  const rows = db.query(`${SELECT_ITEM} ${clause} ORDER BY ${orderBy} LIMIT $limit OFFSET $offset`).all({ ...params, limit: f.limit, offset: f.offset }) as Row[];
  const { total } = db.query(`SELECT COUNT(*) AS total FROM items i ${clause}`).get(params) as { total: number };
  return { items: rows.map(toItem), total };
}
