import { leaseUntil } from '../../events/claims';
import { sql, type Projection, type SqlStatement } from '../../events/projection';
import type { RecordedEvent } from '../../events/types';
import { writtenSegment } from '../format/formatter';
import { jobLogLine, type JobEvent } from './log-lines';

const JOB_EVENTS = ['JobSubmitted', 'JobStarted', 'JobProgressed', 'JobCompleted', 'JobFailed', 'JobRetried', 'JobClaimed', 'JobCancelled', 'JobDeleted', 'JobExpired'] as const;

/** Updates the job's row unless a later event already did (a redelivered event changes nothing). */
const update = (e: RecordedEvent & { data: { job_id: string } }, set: string, params: Record<string, string | number | null> = {}): SqlStatement =>
  sql(`UPDATE jobs SET ${set}, updated_at = $at, position = $position WHERE id = $id AND position < $position`, { id: e.data.job_id, at: e.createdAt, position: e.position, ...params });

/** Jobs (`jobs`), their merged segments (`job_segments`) and their log (`job_log`). */
export const jobsProjection: Projection = {
  name: 'jobs',
  version: 3,
  canHandle: JOB_EVENTS,
  tables: ['jobs', 'job_segments', 'job_log'],
  init: `
    CREATE TABLE IF NOT EXISTS jobs (
      id TEXT PRIMARY KEY, user_id TEXT, name TEXT NOT NULL, file_name TEXT NOT NULL, size_bytes INTEGER NOT NULL, upload TEXT NOT NULL,
      source TEXT NOT NULL, model_id TEXT NOT NULL, language TEXT, priority TEXT NOT NULL, status TEXT NOT NULL,
      progress REAL NOT NULL DEFAULT 0, processed_ms INTEGER NOT NULL DEFAULT 0, chunks_done INTEGER NOT NULL DEFAULT 0, chunks_found INTEGER NOT NULL DEFAULT 0,
      attempts INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0, audio TEXT NOT NULL, duration_ms INTEGER, audio_ms INTEGER, processing_ms INTEGER,
      error_code TEXT, error_message TEXT, dead_letter INTEGER NOT NULL DEFAULT 0, text TEXT, segment_count INTEGER,
      -- How the transcript is written (JSON {punctuate, numerals}); NULL: as the recogniser gave it.
      format TEXT,
      -- The node holding the job (JobClaimed) and until when, unless it renews.
      claimed_by TEXT, lease_until TEXT,
      submitted_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, expired_at TEXT, updated_at TEXT NOT NULL,
      -- Submission order within a priority, and the last event applied.
      submit_position INTEGER NOT NULL, position INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, priority, submit_position);
    CREATE INDEX IF NOT EXISTS jobs_by_user ON jobs (user_id, submit_position);
    CREATE TABLE IF NOT EXISTS job_segments (
      job_id TEXT NOT NULL, seq INTEGER NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, text TEXT NOT NULL, words TEXT NOT NULL,
      -- The recogniser's words as they came (text and words above are the written transcript when the job is formatted).
      raw_text TEXT NOT NULL,
      PRIMARY KEY (job_id, seq));
    CREATE TABLE IF NOT EXISTS job_log (
      position INTEGER PRIMARY KEY, job_id TEXT NOT NULL, at TEXT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS job_log_by_job ON job_log (job_id, position);`,
  evolve(e) {
    if (!(JOB_EVENTS as readonly string[]).includes(e.type)) return [];
    const job = e as RecordedEvent & JobEvent;
    // A renewal is bookkeeping: it moves the lease, not the job's log.
    const quiet = job.type === 'JobDeleted' || (job.type === 'JobClaimed' && job.data.renewal);
    return [...rows(job), ...(quiet ? [] : [logLine(job)])];
  },
};

function logLine(e: RecordedEvent & JobEvent): SqlStatement {
  const line = jobLogLine(e);
  return sql(`INSERT OR IGNORE INTO job_log (position, job_id, at, level, message) SELECT $position, $id, $at, $level, $message WHERE EXISTS (SELECT 1 FROM jobs WHERE id = $id)`, {
    position: e.position,
    id: e.data.job_id,
    at: e.createdAt,
    level: line.level,
    message: line.message,
  });
}

function rows(e: RecordedEvent & JobEvent): SqlStatement[] {
  const clearResult = (id: string) => sql('DELETE FROM job_segments WHERE job_id = $id', { id });
  switch (e.type) {
    case 'JobSubmitted': {
      const d = e.data;
      return [
        sql(
          `INSERT INTO jobs (id, user_id, name, file_name, size_bytes, upload, source, model_id, language, priority, status, audio, duration_ms, format, submitted_at, updated_at, submit_position, position)
           VALUES ($id, $user, $name, $file, $size, $upload, $source, $model, $language, $priority, 'queued', $audio, $duration, $format, $at, $at, $position, $position)
           ON CONFLICT (id) DO NOTHING`,
          { id: d.job_id, user: d.user_id, name: d.name, file: d.file_name, size: d.size_bytes, upload: d.upload, source: d.source, model: d.model_id, language: d.language, priority: d.priority, audio: d.audio, duration: d.duration_ms, format: d.format && JSON.stringify(d.format), at: e.createdAt, position: e.position },
        ),
      ];
    }
    case 'JobStarted':
      return [update(e, `status = 'running', attempts = MAX(attempts, $attempt), started_at = $at, progress = 0, processed_ms = 0, chunks_done = 0, chunks_found = 0`, { attempt: e.data.attempt })];
    case 'JobProgressed':
      return [update(e, 'progress = $progress, processed_ms = $processed, chunks_done = $done, chunks_found = $found', { progress: e.data.progress, processed: e.data.processed_ms, done: e.data.chunks_done, found: e.data.chunks_found })];
    case 'JobCompleted': {
      const d = e.data;
      return [
        update(e, `status = 'completed', progress = 1, processed_ms = $audio, text = $text, audio_ms = $audio, processing_ms = $processing, segment_count = $count, chunks_done = $chunks, chunks_found = $chunks, model_id = $model, error_code = NULL, error_message = NULL, dead_letter = 0, finished_at = $at, claimed_by = NULL, lease_until = NULL`, {
          audio: d.audio_ms,
          text: d.formatted?.text ?? d.text,
          processing: d.processing_ms,
          count: d.segments.length,
          chunks: d.chunks,
          model: d.model_id,
        }),
        clearResult(d.job_id),
        ...d.segments.map((s, seq) => {
          const f = d.formatted?.segments[seq];
          const written = f ? writtenSegment(s, f) : s;
          return sql(`INSERT OR REPLACE INTO job_segments (job_id, seq, start_ms, end_ms, text, words, raw_text) SELECT $id, $seq, $start, $end, $text, $words, $raw WHERE EXISTS (SELECT 1 FROM jobs WHERE id = $id)`, {
            id: d.job_id,
            seq,
            start: s.start_ms,
            end: s.end_ms,
            text: written.text,
            words: JSON.stringify(written.words),
            raw: s.text,
          });
        }),
      ];
    }
    case 'JobFailed':
      return [update(e, `status = 'failed', error_code = $code, error_message = $message, dead_letter = $dead, finished_at = $at, claimed_by = NULL, lease_until = NULL`, { code: e.data.code, message: e.data.message, dead: e.data.dead_letter ? 1 : 0 })];
    case 'JobRetried':
      if (e.data.cause === 'transient') return [update(e, `status = 'retrying', failures = failures + 1, error_message = $message`, { message: e.data.message })];
      if (e.data.cause === 'interrupted') return [update(e, `status = 'queued'`)];
      return [
        update(e, `status = 'queued', failures = 0, progress = 0, processed_ms = 0, text = NULL, segment_count = NULL, audio_ms = NULL, processing_ms = NULL, error_code = NULL, error_message = NULL, dead_letter = 0, finished_at = NULL, claimed_by = NULL, lease_until = NULL`),
        clearResult(e.data.job_id),
      ];
    case 'JobClaimed':
      return [update(e, 'claimed_by = $node, lease_until = $until', { node: e.data.node, until: leaseUntil(e.createdAt, e.data.lease_ms) })];
    case 'JobCancelled':
      return [update(e, `status = 'cancelled', finished_at = $at, claimed_by = NULL, lease_until = NULL`)];
    case 'JobDeleted':
      return [clearResult(e.data.job_id), sql('DELETE FROM job_log WHERE job_id = $id', { id: e.data.job_id }), sql('DELETE FROM jobs WHERE id = $id', { id: e.data.job_id })];
    case 'JobExpired':
      return [update(e, `status = 'expired', text = NULL, expired_at = $at`), clearResult(e.data.job_id)];
    default: {
      const never: never = e;
      return never;
    }
  }
}
