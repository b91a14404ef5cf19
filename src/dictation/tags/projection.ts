import { sql, type Projection } from '../../../events/projection';

/** Each owner's tags: made with POST /tags or by using a new tag on an item. */
export const tagsProjection: Projection = {
  name: 'tags',
  version: 1,
  canHandle: ['TagCreated', 'TagDeleted', 'ItemCreated', 'ItemUpdated'],
  tables: ['tags'],
  init: `
    -- owner is '' when auth is off (a NULL could not be part of the key).
    CREATE TABLE IF NOT EXISTS tags (owner TEXT NOT NULL, name TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (owner, name));`,
  evolve(e) {
    const add = (owner: string | null, name: string) =>
      sql('INSERT INTO tags (owner, name, created_at) VALUES ($owner, $name, $at) ON CONFLICT DO NOTHING', { owner: owner ?? '', name, at: e.createdAt });
    switch (e.type) {
      case 'TagCreated':
        return [add(e.data.user_id, e.data.name)];
      case 'TagDeleted':
        return [sql('DELETE FROM tags WHERE owner = $owner AND name = $name', { owner: e.data.user_id ?? '', name: e.data.name })];
      case 'ItemCreated':
        return e.data.tags.map((name) => add(e.data.user_id, name));
      case 'ItemUpdated': {
        if (!e.data.tags) return [];
        // The item's owner is in its stream's first event; the items table (run earlier) has it.
        const owner = `(SELECT COALESCE(user_id, '') FROM items WHERE id = $item)`;
        return e.data.tags.map((name) =>
          sql(`INSERT INTO tags (owner, name, created_at) SELECT ${owner}, $name, $at WHERE EXISTS (SELECT 1 FROM items WHERE id = $item) ON CONFLICT DO NOTHING`, {
            item: e.data.item_id,
            name,
            at: e.createdAt,
          }),
        );
      }
      default:
        return [];
    }
  },
};
