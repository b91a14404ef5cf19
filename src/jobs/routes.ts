import type { Database } from 'bun:sqlite';
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Elysia, t } from 'elysia';
import { callerOf, ownerFilter } from '../auth/principal';
import { ConflictError, GoneError, NotFoundError, ValidationError } from '../errors';
import { FORMAT_VALUES, parseFormat } from '../format/formatter';
import { idParams, pageQuery } from '../routes/paging';
import { rangedFile } from '../routes/ranged-file';
import { CONTENT_TYPES, FORMATS, toSrt, toText, toVerboseJson, toVtt, type Format } from './formats';
import { JOB_STATUSES, JobSchema, JobStatusSchema, jobLog, jobSegments, listJobs, LogLineSchema, SegmentSchema } from './read';
import type { JobService } from './service';
import { multipartBody, receiveMultipart, withUpload } from './upload';

const Priority = t.Union([t.Literal('high'), t.Literal('normal'), t.Literal('low')], { error: 'priority must be high, normal or low' });
const JobDetail = t.Composite([JobSchema, t.Object({ text: t.Union([t.String(), t.Null()], { description: 'the transcript, once completed' }) })]);
const UPLOAD_SETTING = 'VOXLOG_MAX_UPLOAD_BYTES';

/** Players need the recording's type; an upload keeps its name's extension (src/jobs/service.ts). */
const AUDIO_TYPES: Record<string, string> = { '.wav': 'audio/wav', '.mp3': 'audio/mpeg', '.flac': 'audio/flac', '.ogg': 'audio/ogg', '.opus': 'audio/ogg', '.oga': 'audio/ogg', '.m4a': 'audio/mp4', '.mp4': 'audio/mp4', '.aac': 'audio/aac', '.webm': 'audio/webm' };

/** Multipart fields of a job submission, checked by hand: the body is streamed to disk, not parsed by Elysia. */
function submitFields(fields: Readonly<Record<string, string | string[]>>) {
  const one = (name: string, max = 200): string | undefined => {
    const v = fields[name];
    if (v === undefined || v === '') return undefined;
    if (Array.isArray(v) || v.length > max) throw new ValidationError(`${name} must be one value of at most ${max} characters`);
    return v;
  };
  const priority = one('priority') ?? 'normal';
  if (priority !== 'high' && priority !== 'normal' && priority !== 'low') throw new ValidationError('priority must be high, normal or low');
  // `voxlog transcribe --server` and the web app say so, for the job list; any other caller is the API.
  const client = one('client');
  const source = client === 'cli' || client === 'web' ? client : 'api';
  const format = parseFormat(one('format') ?? 'true');
  if (!format) throw new ValidationError(`format ${FORMAT_VALUES}: punctuation and case, numbers as figures, both (true, the default) or neither`);
  return { name: one('name'), model: one('model'), language: one('language', 35), priority, source, format } as const;
}

/** `/api/v1/jobs`: submit, list, read, download, cancel, restart. */
export const jobRoutes = (db: Database, jobs: JobService, dataDir: string, maxUploadBytes: number) =>
  new Elysia({ name: 'jobs' })
    .post(
      '/api/v1/jobs',
      async ({ request, set }) => {
        const caller = callerOf(request);
        const form = await receiveMultipart(request, { dir: join(dataDir, 'jobs', '.incoming'), maxBytes: maxUploadBytes, setting: UPLOAD_SETTING });
        if (!form.upload) throw new ValidationError('file: send the recording in a multipart field named file', 'file_missing');
        const upload = form.upload;
        const fields = withUpload(upload.path, () => submitFields(form.fields));
        const record = await jobs.submit(caller, upload, fields);
        set.status = 202;
        return record.job;
      },
      {
        parse: 'none',
        response: { 202: JobSchema },
        detail: {
          summary: 'Submit a recording for transcription (multipart: file, and optional model, language, priority high/normal/low, name, format)',
          description:
            'The upload streams to disk. Over VOXLOG_MAX_UPLOAD_BYTES: 413 (from Content-Length, before the body is read). ' +
            'Not audio: 415 with the reason, and nothing is queued. A model that cannot run here: 404 unknown_model or 400 model_unavailable, naming those that can. ' +
            'client (web or cli) records where the job came from as its source; any other caller is the API. Follow it at GET /api/v1/jobs/{id}/events (SSE) or /ws/jobs/{id}. ' +
            'format (default true): the transcript written with punctuation, case and numbers as figures; false keeps the recogniser\'s words, which every segment also gives as raw_text.',
          tags: ['jobs'],
          requestBody: multipartBody({ model: { type: 'string' }, language: { type: 'string' }, priority: { type: 'string', enum: ['high', 'normal', 'low'] }, name: { type: 'string' }, format: { type: 'string', enum: ['true', 'false', 'punctuate', 'numerals'], default: 'true' }, client: { type: 'string', enum: ['web', 'cli'] } }),
        },
      },
    )
    .get(
      '/api/v1/jobs',
      ({ query, request }) => {
        const dead = query.dead_letter === undefined ? undefined : query.dead_letter === true || query.dead_letter === 'true';
        const { jobs: page, total } = listJobs(db, { owner: ownerFilter(callerOf(request)), status: query.status, priority: query.priority, deadLetter: dead, q: query.q, sort: query.sort, order: query.order, limit: query.limit, offset: query.offset });
        return { jobs: page, total, limit: query.limit, offset: query.offset };
      },
      {
        query: t.Object({
          ...pageQuery,
          status: t.Optional(JobStatusSchema({ error: `status must be one of ${JOB_STATUSES.join(', ')}` })),
          priority: t.Optional(Priority),
          dead_letter: t.Optional(t.Union([t.Boolean(), t.Literal('true'), t.Literal('false')], { error: 'dead_letter must be true or false' })),
          q: t.Optional(t.String({ minLength: 1, maxLength: 200, error: 'q must be 1 to 200 characters' })),
          sort: t.Union([t.Literal('submitted'), t.Literal('finished'), t.Literal('duration'), t.Literal('name')], { default: 'submitted', error: 'sort must be submitted, finished, duration or name' }),
          order: t.Union([t.Literal('asc'), t.Literal('desc')], { default: 'desc', error: 'order must be asc or desc' }),
        }),
        response: t.Object({ jobs: t.Array(JobSchema), total: t.Integer(), limit: t.Integer(), offset: t.Integer() }),
        detail: { summary: 'Jobs, newest first: filter by status, priority, dead_letter; q searches id, name, file name and transcript', tags: ['jobs'] },
      },
    )
    .get('/api/v1/jobs/:id', ({ params, request }) => {
      const r = jobs.get(callerOf(request), params.id);
      return { ...r.job, text: r.text };
    }, { params: idParams('job'), response: JobDetail, detail: { summary: 'A job: status, progress, duration, RTF, attempts, error, timestamps, transcript', tags: ['jobs'] } })
    .get('/api/v1/jobs/:id/log', ({ params, request }) => {
      jobs.get(callerOf(request), params.id);
      return { lines: jobLog(db, params.id) };
    }, { params: idParams('job'), response: t.Object({ lines: t.Array(LogLineSchema) }), detail: { summary: "The job's log: submitted, started, chunk n of m, retries, done", tags: ['jobs'] } })
    .get('/api/v1/jobs/:id/segments', ({ params, request }) => {
      jobs.get(callerOf(request), params.id);
      return { segments: jobSegments(db, params.id) };
    }, { params: idParams('job'), response: t.Object({ segments: t.Array(SegmentSchema) }), detail: { summary: 'Segments with word timings (ms on the file timeline), once completed', tags: ['jobs'] } })
    .get(
      '/api/v1/jobs/:id/audio',
      ({ params, request }) => {
        const r = jobs.get(callerOf(request), params.id);
        if (r.job.status === 'expired') throw new GoneError(`job ${params.id} expired: its upload was removed after ${jobs.settings().cleanup_days} days`, 'job_expired');
        const { upload } = db.query('SELECT upload FROM jobs WHERE id = ?').get(params.id) as { upload: string };
        const path = join(dataDir, upload);
        if (!existsSync(path)) throw new NotFoundError(`job ${params.id} no longer holds its upload`, 'upload_missing');
        return rangedFile(request, path, AUDIO_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream');
      },
      { params: idParams('job'), detail: { summary: "The job's recording as it was uploaded, for a player (Range requests served); gone once the job expires", tags: ['jobs'] } },
    )
    .get(
      '/api/v1/jobs/:id/download',
      ({ params, query, request }) => {
        const r = jobs.get(callerOf(request), params.id);
        if (r.job.status === 'expired') throw new GoneError(`job ${params.id} expired: its results were removed after ${jobs.settings().cleanup_days} days`, 'job_expired');
        if (r.job.status !== 'completed') throw new ConflictError(`job ${params.id} is ${r.job.status}; its transcript can be downloaded once it has completed`, 'job_not_completed');
        const segments = jobSegments(db, params.id);
        const format: Format = query.format;
        const cues = { maxLineChars: query.max_line_chars, maxLines: query.max_lines };
        const body =
          format === 'txt' ? toText(segments)
          : format === 'srt' ? toSrt(segments, cues)
          : format === 'vtt' ? toVtt(segments, cues)
          : format === 'json' ? JSON.stringify({ id: r.job.id, model_id: r.job.model_id, language: r.job.language, audio_ms: r.job.audio_ms, text: r.text ?? '', segments })
          : JSON.stringify(toVerboseJson(r.text ?? '', segments, { language: r.job.language ?? 'en', durationMs: r.job.audio_ms ?? 0, temperature: 0, segments: true, words: true }));
        const stem = r.job.file_name.replace(/\.[^.]*$/, '').replace(/[^\w.-]+/g, '_') || r.job.id;
        return new Response(body, { headers: { 'content-type': CONTENT_TYPES[format], 'content-disposition': `attachment; filename="${stem}.${format === 'verbose_json' ? 'json' : format}"` } });
      },
      {
        params: idParams('job'),
        query: t.Object({
          format: t.UnionEnum(FORMATS, { default: 'txt', error: `format must be one of ${FORMATS.join(', ')}` }),
          max_line_chars: t.Integer({ minimum: 10, maximum: 200, default: 42, error: 'max_line_chars must be an integer from 10 to 200' }),
          max_lines: t.Integer({ minimum: 1, maximum: 10, default: 2, error: 'max_lines must be an integer from 1 to 10' }),
        }),
        detail: { summary: 'The transcript as txt, srt, vtt, json (ms, with words) or verbose_json (OpenAI shape, seconds); subtitles break lines at words', tags: ['jobs'] },
      },
    )
    .delete('/api/v1/jobs/:id', async ({ params, request, set }) => {
      await jobs.delete(callerOf(request), params.id);
      set.status = 204;
    }, { params: idParams('job'), detail: { summary: 'Delete a job: cancels it if it has work ahead and removes its upload and results', tags: ['jobs'] } })
    .post('/api/v1/jobs/:id/restart', async ({ params, request, set }) => {
      const r = await jobs.restart(callerOf(request), params.id);
      set.status = 202;
      return r.job;
    }, { params: idParams('job'), response: { 202: JobSchema }, detail: { summary: 'Run a finished job again (409 while it has work ahead)', tags: ['jobs'] } });
