import { sql, type Projection } from '../projection';

/**
 * Per-model counters: sessions, finals, audio. Each row remembers the last log position it
 * absorbed, so an event delivered twice is not counted twice. Latency percentiles are read
 * from the segments projection.
 */
export const transcriptionStatsProjection: Projection = {
  name: 'transcription_stats',
  version: 1,
  canHandle: ['SessionOpened', 'SegmentFinalized', 'SessionClosed'],
  tables: ['transcription_stats'],
  init: `
    CREATE TABLE IF NOT EXISTS transcription_stats (
      model_id TEXT PRIMARY KEY, sessions INTEGER NOT NULL DEFAULT 0, finals INTEGER NOT NULL DEFAULT 0,
      audio_ms INTEGER NOT NULL DEFAULT 0, last_position INTEGER NOT NULL DEFAULT 0);`,
  evolve(event) {
    const bump = (modelId: string, column: 'sessions' | 'finals' | 'audio_ms', by: number) => [
      sql(`INSERT INTO transcription_stats (model_id) VALUES ($model_id) ON CONFLICT (model_id) DO NOTHING`, { model_id: modelId }),
      sql(
        `UPDATE transcription_stats SET ${column} = ${column} + $by, last_position = $position
         WHERE model_id = $model_id AND last_position < $position`,
        { model_id: modelId, by, position: event.position },
      ),
    ];
    switch (event.type) {
      case 'SessionOpened':
        return bump(event.data.model_id, 'sessions', 1);
      case 'SegmentFinalized':
        return bump(event.data.model_id, 'finals', 1);
      case 'SessionClosed':
        // The session's model is in the sessions projection, which the store runs first.
        return [
          sql(
            `UPDATE transcription_stats SET audio_ms = audio_ms + $by, last_position = $position
             WHERE model_id = (SELECT model_id FROM sessions WHERE id = $session_id) AND last_position < $position`,
            { session_id: event.data.session_id, by: event.data.audio_ms, position: event.position },
          ),
        ];
      default:
        return [];
    }
  },
};
