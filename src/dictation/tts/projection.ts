import { leaseUntil } from '../../../events/claims';
import { sql, type Projection } from '../../../events/projection';

/** Generated audio by its content hash: status pending → ready | failed, and what made it. */
export const ttsAudioProjection: Projection = {
  name: 'tts_audio',
  version: 2,
  canHandle: ['TtsRequested', 'TtsCompleted', 'TtsFailed', 'TtsAudioRemoved', 'TtsClaimed'],
  tables: ['tts_audio'],
  init: `
    CREATE TABLE IF NOT EXISTS tts_audio (
      hash TEXT PRIMARY KEY, status TEXT NOT NULL, text TEXT NOT NULL, locale TEXT NOT NULL, voice TEXT NOT NULL, speed REAL NOT NULL,
      provider TEXT, file_sha256 TEXT, bytes INTEGER, duration_ms INTEGER, sample_rate INTEGER, synthesis_ms INTEGER,
      error TEXT, tries INTEGER NOT NULL DEFAULT 0, requested_at TEXT NOT NULL, updated_at TEXT NOT NULL,
      -- The node making it (TtsClaimed) and until when.
      claimed_by TEXT, lease_until TEXT,
      -- The last event applied: a redelivered older event must not undo a newer one.
      position INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS tts_audio_by_status ON tts_audio (status);`,
  evolve(e) {
    switch (e.type) {
      case 'TtsRequested':
        // A request for audio that exists changes nothing; one for failed or removed audio starts it again.
        return [
          sql(
            `INSERT INTO tts_audio (hash, status, text, locale, voice, speed, requested_at, updated_at, position)
             VALUES ($hash, 'pending', $text, $locale, $voice, $speed, $at, $at, $position)
             ON CONFLICT (hash) DO UPDATE SET status = 'pending', error = NULL, tries = 0, claimed_by = NULL, lease_until = NULL, requested_at = $at, updated_at = $at, position = $position
             WHERE tts_audio.status IN ('failed', 'removed') AND tts_audio.position < $position`,
            { hash: e.data.audio_hash, text: e.data.text, locale: e.data.locale, voice: e.data.voice, speed: e.data.speed, at: e.createdAt, position: e.position },
          ),
        ];
      case 'TtsClaimed':
        return [
          sql(`UPDATE tts_audio SET claimed_by = $node, lease_until = $until, updated_at = $at, position = $position WHERE hash = $hash AND position < $position`, {
            hash: e.data.audio_hash,
            node: e.data.node,
            until: leaseUntil(e.createdAt, e.data.lease_ms),
            at: e.createdAt,
            position: e.position,
          }),
        ];
      case 'TtsCompleted':
        return [
          sql(
            `UPDATE tts_audio SET status = 'ready', provider = $provider, voice = $voice, file_sha256 = $sha, bytes = $bytes, duration_ms = $duration,
             sample_rate = $rate, synthesis_ms = $synthesis, error = NULL, updated_at = $at, position = $position WHERE hash = $hash AND position < $position`,
            { position: e.position, hash: e.data.audio_hash, provider: e.data.provider, voice: e.data.voice, sha: e.data.file_sha256, bytes: e.data.bytes, duration: e.data.duration_ms, rate: e.data.sample_rate, synthesis: e.data.synthesis_ms, at: e.createdAt },
          ),
        ];
      case 'TtsFailed':
        return [
          sql(`UPDATE tts_audio SET status = $status, error = $reason, tries = MAX(tries, $attempt), updated_at = $at, position = $position WHERE hash = $hash AND position < $position`, {
            position: e.position,
            hash: e.data.audio_hash,
            status: e.data.retrying ? 'pending' : 'failed',
            reason: e.data.reason,
            attempt: e.data.attempt,
            at: e.createdAt,
          }),
        ];
      case 'TtsAudioRemoved':
        return [sql(`UPDATE tts_audio SET status = 'removed', file_sha256 = NULL, bytes = NULL, updated_at = $at, position = $position WHERE hash = $hash AND position < $position`, {
            hash: e.data.audio_hash,
            at: e.createdAt,
            position: e.position,
          }),];
      default:
        return [];
    }
  },
};
