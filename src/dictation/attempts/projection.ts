import { sql, type Projection } from '../../../events/projection';

/** Every scored attempt; stats are queries over this table. An attempt on a deleted item stays, marked. */
export const attemptsProjection: Projection = {
  name: 'attempts',
  version: 1,
  canHandle: ['AttemptScored', 'ItemDeleted'],
  tables: ['attempts'],
  init: `
    CREATE TABLE IF NOT EXISTS attempts (
      id TEXT PRIMARY KEY, user_id TEXT, item_id TEXT NOT NULL, kind TEXT NOT NULL, locale TEXT NOT NULL,
      reference TEXT NOT NULL, text TEXT NOT NULL, model_id TEXT, audio_ms INTEGER, session_id TEXT, listen_ms INTEGER,
      fold_accents INTEGER NOT NULL, wer REAL NOT NULL, cer REAL NOT NULL, accuracy REAL NOT NULL,
      reference_words INTEGER NOT NULL, substitutions INTEGER NOT NULL, deletions INTEGER NOT NULL, insertions INTEGER NOT NULL,
      words TEXT NOT NULL, item_deleted INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, position INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS attempts_by_item ON attempts (item_id, position);
    CREATE INDEX IF NOT EXISTS attempts_by_owner ON attempts (user_id, created_at);
    CREATE INDEX IF NOT EXISTS attempts_by_time ON attempts (created_at);`,
  evolve(e) {
    switch (e.type) {
      case 'AttemptScored': {
        const d = e.data;
        return [
          sql(
            `INSERT INTO attempts (id, user_id, item_id, kind, locale, reference, text, model_id, audio_ms, session_id, listen_ms, fold_accents,
               wer, cer, accuracy, reference_words, substitutions, deletions, insertions, words, item_deleted, created_at, position)
             VALUES ($id, $user_id, $item_id, $kind, $locale, $reference, $text, $model_id, $audio_ms, $session_id, $listen_ms, $fold,
               $wer, $cer, $accuracy, $reference_words, $substitutions, $deletions, $insertions, $words,
               EXISTS (SELECT 1 FROM items WHERE id = $item_id AND deleted_at IS NOT NULL), $at, $position)
             ON CONFLICT (id) DO NOTHING`,
            {
              id: d.attempt_id,
              user_id: d.user_id,
              item_id: d.item_id,
              kind: d.kind,
              locale: d.locale,
              reference: d.reference,
              text: d.text,
              model_id: d.model_id,
              audio_ms: d.audio_ms,
              session_id: d.session_id,
              listen_ms: d.listen_ms,
              fold: d.fold_accents ? 1 : 0,
              wer: d.wer,
              cer: d.cer,
              accuracy: d.accuracy,
              reference_words: d.reference_words,
              substitutions: d.substitutions,
              deletions: d.deletions,
              insertions: d.insertions,
              words: JSON.stringify(d.words),
              at: e.createdAt,
              position: e.position,
            },
          ),
        ];
      }
      case 'ItemDeleted':
        return [sql('UPDATE attempts SET item_deleted = 1 WHERE item_id = $id', { id: e.data.item_id })];
      default:
        return [];
    }
  },
};
