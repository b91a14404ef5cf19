// OpenAI's transcription API over the job path: tools built on `openai` SDKs (Open WebUI, Home
// Assistant proxies, LocalAI-style clients) work by changing their base URL. Each request is a
// high-priority job, logged like any other.
import type { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { Elysia } from 'elysia';
import { compatibleModel } from '../../models/catalog';
import { callerOf } from '../auth/principal';
import type { EngineRegistry } from '../engine/registry';
import { NotFoundError, ValidationError } from '../errors';
import { FORMATTED } from '../format/formatter';
import { toSrt, toVerboseJson, toVtt } from './formats';
import { jobSegments } from './read';
import type { JobService } from './service';
import { multipartBody, receiveMultipart, withUpload } from './upload';

const RESPONSE_FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const;
type ResponseFormat = (typeof RESPONSE_FORMATS)[number];

interface Request_ {
  readonly model: string | undefined;
  readonly language: string | undefined;
  readonly format: ResponseFormat;
  readonly granularities: readonly string[];
  readonly temperature: number;
  readonly stream: boolean;
}

function readFields(fields: Readonly<Record<string, string | string[]>>): Request_ {
  const one = (name: string): string | undefined => {
    const v = fields[name];
    return Array.isArray(v) ? v.at(-1) : v || undefined;
  };
  const format = (one('response_format') ?? 'json') as ResponseFormat;
  if (!RESPONSE_FORMATS.includes(format)) throw new ValidationError(`response_format must be one of ${RESPONSE_FORMATS.join(', ')}`, 'invalid_response_format');
  const raw = fields.timestamp_granularities;
  const granularities = raw === undefined ? ['segment'] : Array.isArray(raw) ? raw : [raw];
  for (const g of granularities) if (g !== 'word' && g !== 'segment') throw new ValidationError('timestamp_granularities[] must be word and/or segment', 'invalid_timestamp_granularities');
  const temperature = Number(one('temperature') ?? 0);
  if (!Number.isFinite(temperature) || temperature < 0 || temperature > 1) throw new ValidationError('temperature must be a number from 0 to 1', 'invalid_temperature');
  const stream = one('stream');
  if (stream !== undefined && stream !== 'true' && stream !== 'false') throw new ValidationError('stream must be true or false', 'invalid_stream');
  const language = one('language');
  if (language !== undefined && language.length > 35) throw new ValidationError('language must be an ISO-639-1 code such as en', 'invalid_language');
  return { model: one('model'), language, format, granularities, temperature, stream: stream === 'true' };
}

/** `/v1/audio/transcriptions` and `/v1/models` in OpenAI's shapes (errors too: `{error: {message, type, param, code}}`). */
export const openAiRoutes = (db: Database, jobs: JobService, registry: EngineRegistry, dataDir: string, maxUploadBytes: number) => {
  const started = Math.floor(Date.now() / 1000);
  return new Elysia({ name: 'openai' })
    .post(
      '/v1/audio/transcriptions',
      async ({ request }) => {
        const caller = callerOf(request);
        const form = await receiveMultipart(request, { dir: join(dataDir, 'jobs', '.incoming'), maxBytes: maxUploadBytes, setting: 'VOXLOG_MAX_UPLOAD_BYTES' });
        if (!form.upload) throw new ValidationError("file: a multipart field named 'file' with the audio is required", 'file_missing');
        const { fields, modelId } = withUpload(form.upload.path, () => {
          const fields = readFields(form.fields);
          const model = compatibleModel(fields.model, registry.catalog, 'openai');
          if ('error' in model) throw new NotFoundError(model.error, 'model_not_found');
          return { fields, modelId: model.id };
        });
        const record = await jobs.submit(caller, form.upload, { name: form.upload.fileName, model: modelId, language: fields.language, priority: 'high', source: 'openai', format: FORMATTED });
        const id = record.job.id;
        if (fields.stream) return streamed(jobs, id);
        const done = await jobs.completed(id);
        return respond(db, id, done.text ?? '', fields, done.job.audio_ms ?? 0);
      },
      {
        parse: 'none',
        detail: {
          summary: 'OpenAI-compatible transcription (multipart: file, model, language, prompt, response_format, timestamp_granularities[], temperature, stream)',
          description:
            'Runs as a high-priority job (listed by GET /api/v1/jobs, source "openai"). OpenAI\'s model names (whisper-1, gpt-4o-transcribe, gpt-4o-mini-transcribe) use the default model; ' +
            'a voxlog model id picks that model; any other name, or a model not on disk, is refused (404 model_not_found, 400 model_unavailable) naming the models that can run. `prompt` is accepted and ignored (transducer models take no prompt). stream=true answers text/event-stream: ' +
            'transcript.text.delta per segment, then transcript.text.done.',
          tags: ['openai'],
          requestBody: multipartBody({
            model: { type: 'string', example: 'whisper-1' },
            language: { type: 'string' },
            prompt: { type: 'string' },
            response_format: { type: 'string', enum: [...RESPONSE_FORMATS] },
            'timestamp_granularities[]': { type: 'array', items: { type: 'string', enum: ['word', 'segment'] } },
            temperature: { type: 'number' },
            stream: { type: 'boolean' },
          }),
        },
      },
    )
    .get(
      '/v1/models',
      () => ({
        object: 'list',
        data: registry.runnable().map((id) => ({ id, object: 'model', created: started, owned_by: 'voxlog' })),
      }),
      { detail: { summary: "The recognizers that can run here (on disk, not refused by their probe), in OpenAI's model list shape; GET /api/v1/models lists every catalog model with its status", tags: ['openai'] } },
    );
};

function respond(db: Database, id: string, text: string, f: Request_, audioMs: number): Response | object {
  const segments = jobSegments(db, id);
  switch (f.format) {
    case 'json':
      return { text };
    case 'text':
      return new Response(text, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
    case 'srt':
      return new Response(toSrt(segments), { headers: { 'content-type': 'text/plain; charset=utf-8' } });
    case 'vtt':
      return new Response(toVtt(segments), { headers: { 'content-type': 'text/plain; charset=utf-8' } });
    case 'verbose_json':
      return toVerboseJson(text, segments, { language: f.language ?? 'english', durationMs: audioMs, temperature: f.temperature, segments: f.granularities.includes('segment'), words: f.granularities.includes('word') });
    default: {
      const never: never = f.format;
      return never;
    }
  }
}

/** Server-sent `transcript.text.delta` per segment as chunks finish in order, then `transcript.text.done`. */
function streamed(jobs: JobService, id: string): Response {
  const encoder = new TextEncoder();
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, data: object) => controller.enqueue(encoder.encode(`data: ${JSON.stringify(data)}\n\n`));
  let stop: (() => void) | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let first = true;
      stop = jobs.onSegments(id, (segments) => {
        for (const s of segments) send(controller, { type: 'transcript.text.delta', delta: `${first ? '' : ' '}${s.text}`, logprobs: [] }), (first = false);
      });
      void jobs.finished(id).then((done) => {
        stop?.();
        if (done?.job.status === 'completed') send(controller, { type: 'transcript.text.done', text: done.text ?? '', logprobs: [] });
        else send(controller, { type: 'error', error: { message: `transcription failed: ${done?.job.error?.message ?? 'the job was deleted'}`, type: 'server_error', code: done?.job.error?.code ?? 'transcription_failed' } });
        controller.close();
      });
    },
    cancel: () => stop?.(),
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
}
