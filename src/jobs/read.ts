import type { Database } from 'bun:sqlite';
import { t } from 'elysia';
import type { SqlValue } from '../../events/projection';
import type { FormatOptions } from '../format/formatter';
import { JobPriority, JobSegmentSchema, JobSource } from './events';

export const JOB_STATUSES = ['queued', 'running', 'retrying', 'completed', 'failed', 'cancelled', 'expired'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** A job in one of these still has work ahead of it. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ['queued', 'running', 'retrying'];

/**
 * The status as a schema. Written out: wrapped in t.Optional, Elysia's t.UnionEnum filled a
 * missing query value with its first member (every unfiltered list read `status=queued`).
 */
export const JobStatusSchema = (options?: { error: string }) =>
  t.Union([t.Literal('queued'), t.Literal('running'), t.Literal('retrying'), t.Literal('completed'), t.Literal('failed'), t.Literal('cancelled'), t.Literal('expired')], options);

export const JobSchema = t.Object({
  id: t.String(),
  user_id: t.Union([t.String(), t.Null()]),
  name: t.String(),
  file_name: t.String(),
  size_bytes: t.Integer(),
  source: JobSource,
  model_id: t.String(),
  language: t.Union([t.String(), t.Null()]),
  priority: JobPriority,
  status: JobStatusSchema(),
  progress: t.Number({ description: '0 to 1: audio decoded up to the first chunk not yet done, over the duration' }),
  processed_ms: t.Integer(),
  chunks_done: t.Integer(),
  chunks_found: t.Integer(),
  attempts: t.Integer({ description: 'runs started so far' }),
  dead_letter: t.Boolean({ description: 'failed after using up VOXLOG_JOB_MAX_ATTEMPTS runs on passing failures' }),
  error: t.Union([t.Object({ code: t.Union([t.String(), t.Null()]), message: t.String() }), t.Null()]),
  audio: t.String({ description: 'what the upload is, as probed' }),
  duration_ms: t.Union([t.Integer(), t.Null()], { description: 'length the container states, when it does' }),
  audio_ms: t.Union([t.Integer(), t.Null()], { description: 'audio decoded (once completed)' }),
  processing_ms: t.Union([t.Integer(), t.Null()]),
  rtf: t.Union([t.Number(), t.Null()], { description: 'real-time factor: processing time over audio time' }),
  segment_count: t.Union([t.Integer(), t.Null()]),
  submitted_at: t.String(),
  started_at: t.Union([t.String(), t.Null()]),
  finished_at: t.Union([t.String(), t.Null()]),
  expired_at: t.Union([t.String(), t.Null()]),
  updated_at: t.String(),
});
export type Job = typeof JobSchema.static;

export const SegmentSchema = t.Composite([t.Object({ id: t.Integer() }), JobSegmentSchema, t.Object({ raw_text: t.String({ description: "the recogniser's words as they came (text is the written transcript when the job is formatted)" }) })]);
export type Segment = typeof SegmentSchema.static;

export const LogLineSchema = t.Object({ at: t.String(), level: t.String(), message: t.String() });

type Row = Omit<Job, 'dead_letter' | 'error' | 'rtf'> & { dead_letter: number; error_code: string | null; error_message: string | null; upload: string; text: string | null; failures: number; submit_position: number; format: string | null };

/** A job row with what the service needs besides the public view. */
export interface JobRecord {
  readonly job: Job;
  readonly upload: string;
  readonly text: string | null;
  readonly failures: number;
  readonly submitPosition: number;
  /** How the transcript is to be written; null: as the recogniser gave it. */
  readonly format: FormatOptions | null;
}

const toRecord = (r: Row): JobRecord => {
  const { dead_letter, error_code, error_message, upload, text, failures, submit_position, format, ...rest } = r;
  const rtf = r.audio_ms && r.processing_ms !== null && r.status === 'completed' ? r.processing_ms / r.audio_ms : null;
  // A retrying job shows why its last run failed; its code is known only once it has failed.
  const error = error_message === null ? null : { code: error_code, message: error_message };
  return { job: { ...rest, dead_letter: dead_letter === 1, error, rtf }, upload, text, failures, submitPosition: submit_position, format: format === null ? null : (JSON.parse(format) as FormatOptions) };
};

const COLUMNS = `id, user_id, name, file_name, size_bytes, source, model_id, language, priority, status, progress, processed_ms, chunks_done, chunks_found,
  attempts, dead_letter, error_code, error_message, audio, duration_ms, audio_ms, processing_ms, segment_count, submitted_at, started_at, finished_at,
  expired_at, updated_at, upload, text, failures, submit_position, format`;

export function readJob(db: Database, id: string): JobRecord | null {
  const row = db.query(`SELECT ${COLUMNS} FROM jobs WHERE id = ?`).get(id) as Row | null;
  return row ? toRecord(row) : null;
}

export interface JobFilter {
  readonly owner: string | undefined;
  readonly status?: JobStatus;
  readonly priority?: 'high' | 'normal' | 'low';
  readonly deadLetter?: boolean;
  /** Matched, case-insensitively, against the id, the name, the file name and the transcript. */
  readonly q?: string;
  readonly sort: 'submitted' | 'finished' | 'duration' | 'name';
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  readonly offset: number;
}

const SORTS: Record<JobFilter['sort'], string> = { submitted: 'submit_position', finished: 'finished_at', duration: 'duration_ms', name: 'name COLLATE NOCASE' };

export function listJobs(db: Database, f: JobFilter): { jobs: Job[]; total: number } {
  const parts: string[] = [];
  const params: Record<string, SqlValue> = {};
  if (f.owner !== undefined) (parts.push('user_id = $owner'), (params.owner = f.owner));
  if (f.status !== undefined) (parts.push('status = $status'), (params.status = f.status));
  if (f.priority !== undefined) (parts.push('priority = $priority'), (params.priority = f.priority));
  if (f.deadLetter !== undefined) (parts.push('dead_letter = $dead'), (params.dead = f.deadLetter ? 1 : 0));
  if (f.q !== undefined) {
    parts.push(`(id = $q_exact OR name LIKE $q ESCAPE '\\' OR file_name LIKE $q ESCAPE '\\' OR text LIKE $q ESCAPE '\\')`);
    params.q_exact = f.q;
    params.q = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  }
  const where = parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '';
  const dir = f.order === 'asc' ? 'ASC' : 'DESC';
  const rows = db.query(`SELECT ${COLUMNS} FROM jobs ${where} ORDER BY ${SORTS[f.sort]} ${dir} NULLS LAST, submit_position ${dir} LIMIT $limit OFFSET $offset`).all({ ...params, limit: f.limit, offset: f.offset }) as Row[];
  const { total } = db.query(`SELECT COUNT(*) AS total FROM jobs ${where}`).get(params) as { total: number };
  return { jobs: rows.map((r) => toRecord(r).job), total };
}

export function jobSegments(db: Database, id: string): Segment[] {
  const rows = db.query('SELECT seq, start_ms, end_ms, text, words, raw_text FROM job_segments WHERE job_id = ? ORDER BY seq').all(id) as { seq: number; start_ms: number; end_ms: number; text: string; words: string; raw_text: string }[];
  return rows.map((r) => ({ id: r.seq, start_ms: r.start_ms, end_ms: r.end_ms, text: r.text, words: JSON.parse(r.words), raw_text: r.raw_text }));
}

export function jobLog(db: Database, id: string): (typeof LogLineSchema.static)[] {
  return db.query('SELECT at, level, message FROM job_log WHERE job_id = ? ORDER BY position').all(id) as (typeof LogLineSchema.static)[];
}
