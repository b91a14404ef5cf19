// `POST /v1/listen`: Deepgram's pre-recorded API over voxlog's job path. The audio is the request
// body; each request is a high-priority job (listed by /api/v1/jobs with source "deepgram").
import type { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { Elysia } from 'elysia';
import { compatibleModel, type CatalogEntry } from '../../../models/catalog';
import { callerOf } from '../../auth/principal';
import { ValidationError } from '../../errors';
import { parseFormat } from '../../format/formatter';
import { jobSegments } from '../../jobs/read';
import type { JobService } from '../../jobs/service';
import { receiveRaw } from '../../jobs/upload';
import { isLanguageTag } from '../../server/ws';
import { readable } from '../text';
import { formatOf } from './query';
import { dgWords, modelUuid, type ModelInfo } from './results';

export interface FileDeps {
  readonly db: Database;
  readonly jobs: JobService;
  readonly catalog: readonly CatalogEntry[];
  readonly dataDir: string;
  readonly maxUploadBytes: number;
  readonly describe: (modelId: string) => ModelInfo;
}

const RAW: Record<string, 'pcm16' | 'mulaw' | 'alaw'> = { linear16: 'pcm16', mulaw: 'mulaw', alaw: 'alaw' };

/** Headerless audio names its encoding and rate in the query; anything with a container needs neither. */
function rawFormat(q: Record<string, string | undefined>): { encoding: 'pcm16' | 'mulaw' | 'alaw'; rate: number } | undefined {
  if (q.encoding === undefined) return undefined;
  const encoding = RAW[q.encoding];
  if (!encoding) throw new ValidationError(`encoding ${JSON.stringify(q.encoding)} is not supported for headerless audio; use linear16, mulaw or alaw, or send a file with a container (WAV, MP3, FLAC, OGG...) and no encoding`, 'Bad Request');
  const rate = Number(q.sample_rate);
  if (!/^\d{4,6}$/.test(q.sample_rate ?? '') || rate < 8000 || rate > 192000) throw new ValidationError('sample_rate is required with encoding: a whole number of Hz from 8000 to 192000', 'Bad Request');
  return { encoding, rate };
}

export const deepgramFile = (d: FileDeps) =>
  new Elysia({ name: 'deepgram-file' }).post(
    '/v1/listen',
    async ({ request, query }) => {
      const q = query as Record<string, string | undefined>;
      if ((request.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json')) {
        throw new ValidationError('voxlog does not fetch audio from URLs: send the audio itself as the request body, with its Content-Type (e.g. audio/wav)', 'Bad Request');
      }
      if (q.channels !== undefined && q.channels !== '1') throw new ValidationError('voxlog transcribes one channel; multichannel audio is mixed down, so omit channels', 'Bad Request');
      // A model mistake is answered before the body is read.
      const requested = compatibleModel(q.model, d.catalog, 'deepgram');
      if ('error' in requested) throw new ValidationError(requested.error, 'Bad Request');
      const { sha256, ...upload } = await receiveRaw(request, { dir: join(d.dataDir, 'jobs', '.incoming'), maxBytes: d.maxUploadBytes, setting: 'VOXLOG_MAX_UPLOAD_BYTES', raw: rawFormat(q) });
      const language = q.language && isLanguageTag(q.language) ? q.language : undefined;
      const written = formatOf(q);
      if (typeof written !== 'string') throw new ValidationError(written.error, 'Bad Request');
      const format = parseFormat(written)!;
      const record = await d.jobs.submit(callerOf(request), upload, { name: 'deepgram upload', model: requested.id, language, priority: 'high', source: 'deepgram', format });
      const created = new Date().toISOString();
      const done = await d.jobs.completed(record.job.id);
      const model = d.describe(done.job.model_id);
      const uuid = modelUuid(model.name);
      const segments = jobSegments(d.db, record.job.id);
      const formatted = format.punctuate || format.numerals;
      const wordsOf = (s: (typeof segments)[number]) => (formatted ? dgWords([], s.words) : dgWords(s.words));
      const transcriptOf = (text: string) => (formatted ? text : readable(text));
      const words = segments.flatMap(wordsOf);
      const utterances = segments.map((s) => ({ id: `${record.job.id}-${s.id}`, start: s.start_ms / 1000, end: s.end_ms / 1000, confidence: 1, channel: 0, transcript: transcriptOf(s.text), words: wordsOf(s) }));
      return {
        metadata: { transaction_key: 'deprecated', request_id: record.job.id, sha256, created, duration: (done.job.audio_ms ?? 0) / 1000, channels: 1, models: [uuid], model_info: { [uuid]: model } },
        results: {
          channels: [{ alternatives: [{ transcript: transcriptOf(done.text ?? ''), confidence: 1, words }] }],
          ...(q.utterances === 'true' ? { utterances } : {}),
        },
      };
    },
    {
      parse: 'none',
      detail: {
        summary: "Deepgram-compatible file transcription (the body is the audio; query: model, language, encoding + sample_rate for headerless audio, utterances)",
        description:
          'Answers in the shape of Deepgram\'s pre-recorded API: results.channels[0].alternatives[0] with transcript, confidence and words, and metadata. Runs as a high-priority job ' +
          '(GET /api/v1/jobs, source "deepgram"; request_id is the job id). Model names voxlog does not know (nova-3) use the default model. JSON bodies ({"url": ...}) are refused: ' +
          'voxlog fetches nothing. punctuate, numerals and smart_format (both) write the transcript as Deepgram does; diarize and the other options are accepted and ignored. Confidences are 1: the models give none.',
        tags: ['deepgram'],
        requestBody: { content: { 'audio/*': { schema: { type: 'string', format: 'binary' } } } },
      },
    },
  );
