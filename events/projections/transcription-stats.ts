import { sql, type Projection } from '../projection';

/**
 * Per-model counters: sessions that used the model, finals, audio it processed. Each row remembers
 * the last log position it absorbed, so an event delivered twice is not counted twice. Latency
 * percentiles are read from the segments projection.
 */
export const transcriptionStatsProjection: Projection = {
  name: 'transcription_stats',
  version: 2,
  canHandle: ['SessionOpened', 'SegmentFinalized', 'ModelSwitched', 'SessionClosed'],
  tables: ['transcription_stats'],
  init: `
    CREATE TABLE IF NOT EXISTS transcription_stats (
      model_id TEXT PRIMARY KEY, sessions INTEGER NOT NULL DEFAULT 0, finals INTEGER NOT NULL DEFAULT 0,
      audio_ms INTEGER NOT NULL DEFAULT 0, last_position INTEGER NOT NULL DEFAULT 0);`,
  evolve(event) {
    const add = (modelId: string, counts: { sessions?: number; finals?: number; audio_ms?: number }) => [
      sql(`INSERT INTO transcription_stats (model_id) VALUES ($model_id) ON CONFLICT (model_id) DO NOTHING`, { model_id: modelId }),
      sql(
        `UPDATE transcription_stats SET sessions = sessions + $sessions, finals = finals + $finals, audio_ms = audio_ms + $audio_ms,
           last_position = $position
         WHERE model_id = $model_id AND last_position < $position`,
        { model_id: modelId, sessions: counts.sessions ?? 0, finals: counts.finals ?? 0, audio_ms: counts.audio_ms ?? 0, position: event.position },
      ),
    ];
    switch (event.type) {
      case 'SessionOpened':
        return add(event.data.model_id, { sessions: 1 });
      case 'SegmentFinalized':
        return add(event.data.model_id, { finals: 1 });
      case 'ModelSwitched':
        // The old model is credited with the audio it processed; the new one gains a session.
        return [...add(event.data.from_model_id, { audio_ms: event.data.from_audio_ms }), ...add(event.data.to_model_id, { sessions: 1 })];
      case 'SessionClosed':
        return add(event.data.model_id, { audio_ms: event.data.model_audio_ms });
      default:
        return [];
    }
  },
};
