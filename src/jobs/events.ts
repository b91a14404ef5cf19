// Batch transcription jobs: a recording uploaded, queued, cut at silences, decoded across the
// engine pool, retried when it fails for a passing reason, and kept until the retention sweep.
import { Type as t } from '@sinclair/typebox';
import { Formatted, FormatRequest } from '../../events/words';

const Owner = t.Union([t.String(), t.Null()], { description: 'the user who owns it; null when auth is off' });
const Ms = t.Integer({ minimum: 0 });
const Attempt = t.Integer({ minimum: 1, description: 'which run of the job this is: 1 for the first' });

export const JobPriority = t.Union([t.Literal('high'), t.Literal('normal'), t.Literal('low')]);
export const JobSource = t.Union([t.Literal('api'), t.Literal('web'), t.Literal('openai'), t.Literal('cli'), t.Literal('deepgram')], {
  description: "how it was submitted: the jobs API, the web app's upload form, the OpenAI-compatible endpoint, `voxlog transcribe --server`, or Deepgram's POST /v1/listen",
});

export const JobWordSchema = t.Object({ word: t.String(), start_ms: Ms, end_ms: Ms });
export const JobSegmentSchema = t.Object({ text: t.String(), start_ms: Ms, end_ms: Ms, words: t.Array(JobWordSchema) });

export const jobEventSchemas = {
  JobSubmitted: t.Object({
    job_id: t.String(),
    user_id: Owner,
    name: t.String(),
    file_name: t.String(),
    size_bytes: t.Integer({ minimum: 0 }),
    /** The upload, relative to the data directory. */
    upload: t.String(),
    model_id: t.String(),
    language: t.Union([t.String(), t.Null()]),
    priority: JobPriority,
    source: JobSource,
    /** What the probe found: "WAV 16-bit PCM, mono, 16000 Hz", "mp3 in mp3 (through ffmpeg), stereo, 44100 Hz". */
    audio: t.String(),
    duration_ms: t.Union([Ms, t.Null()]),
    /** How the transcript is to be written (since schema v2; v1 jobs read null: the recogniser's words as they came). */
    format: t.Union([FormatRequest, t.Null()]),
  }),
  JobStarted: t.Object({ job_id: t.String(), attempt: Attempt, model_id: t.String() }),
  /** At most one a second per job, and one at each stage change. */
  JobProgressed: t.Object({
    job_id: t.String(),
    attempt: Attempt,
    progress: t.Number({ minimum: 0, maximum: 1 }),
    /** Audio decoded, counted from the start of the file up to the first chunk not yet done. */
    processed_ms: Ms,
    chunks_done: t.Integer({ minimum: 0 }),
    chunks_found: t.Integer({ minimum: 0 }),
    /** Whether the VAD has read the whole file (so `chunks_found` is final). */
    chunking_done: t.Boolean(),
  }),
  JobCompleted: t.Object({
    job_id: t.String(),
    attempt: Attempt,
    model_id: t.String(),
    text: t.String(),
    segments: t.Array(JobSegmentSchema),
    audio_ms: Ms,
    chunks: t.Integer({ minimum: 0 }),
    processing_ms: Ms,
    /**
     * The transcript as written text, one entry per segment, beside the recogniser's `text` and
     * `segments` above, which stay as they came. Null: not formatted (since schema v2).
     */
    formatted: t.Union([t.Object({ text: t.String(), segments: t.Array(Formatted) }), t.Null()]),
  }),
  JobFailed: t.Object({
    job_id: t.String(),
    attempt: Attempt,
    code: t.String(),
    message: t.String(),
    /** Retrying cannot help (bad audio, unknown model): it failed at once. */
    permanent: t.Boolean(),
    /** It used up its attempts on passing failures and waits in the dead-letter list. */
    dead_letter: t.Boolean(),
  }),
  /** The job goes back to the queue: after a passing failure, a server restart mid-run, or on request. */
  JobRetried: t.Object({
    job_id: t.String(),
    cause: t.Union([t.Literal('transient'), t.Literal('interrupted'), t.Literal('requested')]),
    message: t.String(),
    delay_ms: Ms,
  }),
  /**
   * A node takes the job to run it (or renews its claim while running): no other node runs it until
   * `lease_ms` after this event passes without a renewal. Appended at the stream's exact version, so
   * of two nodes claiming at once exactly one wins.
   */
  JobClaimed: t.Object({ job_id: t.String(), node: t.String({ minLength: 1 }), lease_ms: t.Integer({ minimum: 1 }), renewal: t.Boolean() }),
  JobCancelled: t.Object({ job_id: t.String(), reason: t.String() }),
  JobDeleted: t.Object({ job_id: t.String() }),
  /** The retention sweep removed its upload and results. */
  JobExpired: t.Object({ job_id: t.String(), retention_days: t.Integer({ minimum: 1 }) }),
  /** An admin changed a jobs setting at runtime; only the fields given changed. */
  JobSettingsChanged: t.Object({ max_concurrent_jobs: t.Optional(t.Integer({ minimum: 0 })), cleanup_days: t.Optional(t.Integer({ minimum: 1 })) }),
};

export const jobSchemaVersions = {
  JobSubmitted: 2,
  JobStarted: 1,
  JobProgressed: 1,
  JobCompleted: 2,
  JobFailed: 1,
  JobRetried: 1,
  JobClaimed: 1,
  JobCancelled: 1,
  JobDeleted: 1,
  JobExpired: 1,
  JobSettingsChanged: 1,
} as const satisfies Record<keyof typeof jobEventSchemas, number>;
