import { sql, type Projection } from '../../../events/projection';

/** Items and their tags. Attempt aggregates are read from `attempts` at query time, so they never drift. */
export const itemsProjection: Projection = {
  name: 'items',
  version: 1,
  canHandle: ['ItemCreated', 'ItemUpdated', 'ItemDeleted', 'TtsRequested', 'TagDeleted'],
  tables: ['item_tags', 'items'],
  init: `
    CREATE TABLE IF NOT EXISTS items (
      id TEXT PRIMARY KEY, user_id TEXT, locale TEXT NOT NULL, text TEXT NOT NULL,
      difficulty INTEGER NOT NULL, difficulty_inferred INTEGER NOT NULL,
      audio_hash TEXT, voice TEXT, speed REAL,
      created_at TEXT NOT NULL, updated_at TEXT NOT NULL, deleted_at TEXT, position INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS items_by_owner ON items (user_id, position);
    CREATE INDEX IF NOT EXISTS items_by_audio ON items (audio_hash);
    CREATE TABLE IF NOT EXISTS item_tags (item_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (item_id, tag));
    CREATE INDEX IF NOT EXISTS item_tags_by_tag ON item_tags (tag, item_id);`,
  evolve(e) {
    const touch = { id: 'item_id' in e.data ? (e.data.item_id as string) : '', at: e.createdAt };
    switch (e.type) {
      case 'ItemCreated':
        return [
          sql(
            `INSERT INTO items (id, user_id, locale, text, difficulty, difficulty_inferred, created_at, updated_at, position)
             VALUES ($id, $user_id, $locale, $text, $difficulty, $inferred, $at, $at, $position) ON CONFLICT (id) DO NOTHING`,
            { ...touch, user_id: e.data.user_id, locale: e.data.locale, text: e.data.text, difficulty: e.data.difficulty, inferred: e.data.difficulty_inferred ? 1 : 0, position: e.position },
          ),
          ...e.data.tags.map((tag) => sql('INSERT INTO item_tags (item_id, tag) VALUES ($id, $tag) ON CONFLICT DO NOTHING', { id: e.data.item_id, tag })),
        ];
      case 'ItemUpdated': {
        const out = [sql('UPDATE items SET updated_at = $at WHERE id = $id', touch)];
        if (e.data.difficulty !== undefined) out.push(sql('UPDATE items SET difficulty = $d, difficulty_inferred = 0 WHERE id = $id', { id: e.data.item_id, d: e.data.difficulty }));
        if (e.data.tags !== undefined) {
          // Replacing the set is idempotent: delete what is not in it, insert what is.
          out.push(sql(`DELETE FROM item_tags WHERE item_id = $id AND tag NOT IN (SELECT value FROM json_each($tags))`, { id: e.data.item_id, tags: JSON.stringify(e.data.tags) }));
          out.push(...e.data.tags.map((tag) => sql('INSERT INTO item_tags (item_id, tag) VALUES ($id, $tag) ON CONFLICT DO NOTHING', { id: e.data.item_id, tag })));
        }
        return out;
      }
      case 'ItemDeleted':
        return [sql('UPDATE items SET deleted_at = COALESCE(deleted_at, $at), updated_at = $at WHERE id = $id', touch)];
      case 'TtsRequested':
        return [sql('UPDATE items SET audio_hash = $hash, voice = $voice, speed = $speed WHERE id = $id', { id: e.data.item_id, hash: e.data.audio_hash, voice: e.data.voice, speed: e.data.speed })];
      case 'TagDeleted':
        return [
          sql(`DELETE FROM item_tags WHERE tag = $name AND item_id IN (SELECT id FROM items WHERE COALESCE(user_id, '') = $owner)`, { name: e.data.name, owner: e.data.user_id ?? '' }),
        ];
      default:
        return [];
    }
  },
};
