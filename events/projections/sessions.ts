import { sql, type Projection } from '../projection';

/** Sessions and their finalized segments in order: `GET /api/v1/sessions` and `/sessions/{id}`. */
export const sessionsProjection: Projection = {
  name: 'sessions',
  version: 4,
  canHandle: ['SessionOpened', 'SessionResumed', 'SegmentFinalized', 'SessionClosed'],
  tables: ['segments', 'sessions'],
  init: `
    CREATE TABLE IF NOT EXISTS sessions (
      id TEXT PRIMARY KEY, user_id TEXT, model_id TEXT NOT NULL, encoding TEXT NOT NULL,
      sample_rate INTEGER NOT NULL, created_at TEXT NOT NULL, closed_at TEXT, close_reason TEXT,
      audio_ms INTEGER NOT NULL DEFAULT 0, segments INTEGER NOT NULL DEFAULT 0,
      duration_ms INTEGER, position INTEGER NOT NULL, protocol TEXT NOT NULL DEFAULT 'voxlog',
      recorded INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX IF NOT EXISTS sessions_newest ON sessions (position DESC);
    CREATE INDEX IF NOT EXISTS sessions_model ON sessions (model_id, position);
    CREATE TABLE IF NOT EXISTS segments (
      id TEXT PRIMARY KEY, session_id TEXT NOT NULL, segment_seq INTEGER NOT NULL, content TEXT NOT NULL,
      start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, model_id TEXT NOT NULL,
      latency_ms INTEGER NOT NULL, words TEXT NOT NULL, created_at TEXT NOT NULL, written_words TEXT);
    CREATE INDEX IF NOT EXISTS segments_by_session ON segments (session_id, segment_seq);
    CREATE INDEX IF NOT EXISTS segments_model_latency ON segments (model_id, latency_ms);`,
  evolve(event) {
    switch (event.type) {
      case 'SessionOpened':
        return [
          sql(
            `INSERT INTO sessions (id, user_id, model_id, encoding, sample_rate, created_at, position, protocol, recorded)
             VALUES ($id, $user_id, $model_id, $encoding, $sample_rate, $created_at, $position, $protocol, $recorded)
             ON CONFLICT (id) DO NOTHING`,
            {
              id: event.data.session_id,
              user_id: event.data.user_id,
              model_id: event.data.model_id,
              encoding: event.data.encoding,
              sample_rate: event.data.sample_rate,
              created_at: event.createdAt,
              position: event.position,
              protocol: event.data.protocol,
              recorded: event.data.recorded ? 1 : 0,
            },
          ),
        ];
      case 'SessionResumed':
        // Absolute values only: the session is open again until its next SessionClosed.
        return [sql(`UPDATE sessions SET closed_at = NULL, close_reason = NULL, duration_ms = NULL WHERE id = $id`, { id: event.data.session_id })];
      case 'SegmentFinalized':
        return [
          sql(
            `INSERT INTO segments (id, session_id, segment_seq, content, start_ms, end_ms, model_id, latency_ms, words, created_at, written_words)
             VALUES ($id, $session_id, $segment_seq, $content, $start_ms, $end_ms, $model_id, $latency_ms, $words, $created_at, $written_words)
             ON CONFLICT (id) DO NOTHING`,
            {
              id: event.id,
              session_id: event.data.session_id,
              segment_seq: event.data.segment,
              content: event.data.formatted?.text ?? event.data.text,
              start_ms: event.data.start_ms,
              end_ms: event.data.end_ms,
              model_id: event.data.model_id,
              latency_ms: event.data.latency_ms,
              words: JSON.stringify(event.data.words),
              created_at: event.createdAt,
              // The written words with their times, for a transcript that follows its audio word by word.
              written_words: event.data.formatted && event.data.words.length > 0 ? JSON.stringify(event.data.formatted.words.map(({ word, start_ms, end_ms }) => ({ word, start_ms, end_ms }))) : null,
            },
          ),
          // Absolute values, never increments, so a second delivery changes nothing.
          sql(`UPDATE sessions SET segments = MAX(segments, $count) WHERE id = $id`, { id: event.data.session_id, count: event.data.segment + 1 }),
        ];
      case 'SessionClosed':
        return [
          sql(
            `UPDATE sessions SET closed_at = $closed_at, close_reason = $reason, audio_ms = $audio_ms,
               segments = $segments, duration_ms = $duration_ms WHERE id = $id`,
            {
              id: event.data.session_id,
              closed_at: event.createdAt,
              reason: event.data.reason,
              audio_ms: event.data.audio_ms,
              segments: event.data.segments,
              duration_ms: event.data.duration_ms,
            },
          ),
        ];
      default:
        return [];
    }
  },
};
