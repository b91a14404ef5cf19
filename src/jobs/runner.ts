// One run of a job: JobStarted, the chunked transcription with throttled JobProgressed, then
// JobCompleted, or a failure sorted into permanent or transient for the queue to act on.
import { join } from 'node:path';
import { event, type VoxEvent } from '../../events/types';
import { openAudio } from '../audio/input';
import type { EngineRegistry } from '../engine/registry';
import { NotFoundError } from '../errors';
import type { FileFormatter, TranscriptWriter } from '../format/file-formatter';
import { writtenSegment } from '../format/formatter';
import { classify, type RunFailure } from './failures';
import { transcribeInChunks, type PipelineEvent, type TimedSegment } from './pipeline';
import type { JobRecord } from './read';

/** JobProgressed at most this often (and once more when the last chunk is done). */
const PROGRESS_EVERY_MS = 1000;

export interface RunnerDeps {
  readonly registry: EngineRegistry;
  readonly formatter: FileFormatter;
  readonly dataDir: string;
  readonly maxChunkMs: number;
  /** The most audio one job may hold (VOXLOG_MAX_JOB_AUDIO_S); a file that runs past it fails for good. */
  readonly maxAudioS: number;
  readonly timeoutMs: number;
  /** Appends to the job's stream unless it was deleted meanwhile; resolves false then. */
  readonly append: (jobId: string, events: VoxEvent[]) => Promise<boolean>;
}

export type RunOutcome = { readonly kind: 'completed' } | ({ readonly kind: 'failed' } & RunFailure) | { readonly kind: 'stopped' };

/** Runs `record` once; `signal` aborts it (cancel or shutdown); `onSegments` hears segments in file order as chunks finish. */
export async function runJob(deps: RunnerDeps, record: JobRecord, signal: AbortSignal, onSegments: (s: readonly TimedSegment[]) => void): Promise<RunOutcome> {
  const { job } = record;
  const attempt = job.attempts + 1;
  if (!(await deps.append(job.id, [event('JobStarted', { job_id: job.id, attempt, model_id: job.model_id })]))) return { kind: 'stopped' };
  const timeout = AbortSignal.timeout(deps.timeoutMs);
  const both = AbortSignal.any([signal, timeout]);
  const t0 = performance.now();
  // A formatted job's segments are written as they arrive in order, so listeners (OpenAI's stream) read written text.
  const writer = record.format ? deps.formatter.transcript<TimedSegment>(record.format) : undefined;
  const heard = writer
    ? (s: readonly TimedSegment[]) =>
        void writer.add(s).then(
          (out) => out.length > 0 && onSegments(out.map((o) => writtenSegment(o.segment, o.written))),
          () => onSegments(s),
        )
    : onSegments;
  const progress = new ProgressReporter(deps, job.id, attempt, job.duration_ms, heard);
  try {
    const path = join(deps.dataDir, record.upload);
    if (!(await Bun.file(path).exists())) throw new NotFoundError(`the upload of job ${job.id} is gone from ${record.upload}`, 'upload_missing');
    const input = await openAudio(path, { maxDurationS: deps.maxAudioS });
    const vadModel = deps.registry.vadPath('chunking a job');
    const result = await transcribeInChunks(deps.registry, job.model_id, input, { vadModel, maxChunkMs: deps.maxChunkMs, signal: both, onEvent: (e) => progress.on(e) });
    await progress.settled();
    const formatted = writer ? await allWritten(writer, job.id, result.segments, onSegments) : null;
    await deps.append(job.id, [
      event('JobCompleted', {
        job_id: job.id,
        attempt,
        model_id: result.modelId,
        text: result.text,
        segments: result.segments.map((s) => ({ ...s, words: [...s.words] })),
        audio_ms: result.audioMs,
        chunks: result.chunks,
        processing_ms: Math.round(performance.now() - t0),
        formatted,
      }),
    ]);
    return { kind: 'completed' };
  } catch (err) {
    await progress.settled();
    if (signal.aborted) return { kind: 'stopped' };
    return { kind: 'failed', ...classify(err, timeout.aborted, deps.timeoutMs / 1000) };
  }
}

/**
 * The job's transcript as written text, its last segment (held for what would follow it) told to
 * listeners; if formatting failed, null: the job keeps the recogniser's words rather than fail.
 */
async function allWritten(writer: TranscriptWriter<TimedSegment>, jobId: string, segments: readonly TimedSegment[], onSegments: (s: readonly TimedSegment[]) => void) {
  try {
    const texts = await writer.finish();
    if (segments.length > 0 && texts.length === segments.length) onSegments([writtenSegment(segments.at(-1)!, texts.at(-1)!)]);
    return { text: texts.map((t) => t.text).filter(Boolean).join(' '), segments: texts.map((t) => ({ text: t.text, words: t.words })) };
  } catch (err) {
    console.error(`job ${jobId}: ${String(err)}; its transcript keeps the recogniser's words`);
    return null;
  }
}

/** Turns pipeline events into throttled JobProgressed, appended in order, and segments in file order. */
class ProgressReporter {
  private chain: Promise<unknown> = Promise.resolve();
  private lastAt = 0;
  private readonly pending = new Map<number, readonly TimedSegment[]>();
  private nextIndex = 0;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly jobId: string,
    private readonly attempt: number,
    private readonly durationMs: number | null,
    private readonly onSegments: (s: readonly TimedSegment[]) => void,
  ) {}

  on(e: PipelineEvent): void {
    if (e.type !== 'chunk_done') return;
    this.pending.set(e.index, e.segments);
    while (this.pending.has(this.nextIndex)) {
      const segments = this.pending.get(this.nextIndex)!;
      this.pending.delete(this.nextIndex++);
      if (segments.length > 0) this.onSegments(segments);
    }
    const last = e.vadFinished && e.done === e.found;
    if (!last && performance.now() - this.lastAt < PROGRESS_EVERY_MS) return;
    this.lastAt = performance.now();
    const progress = this.durationMs ? Math.min(1, e.frontierMs / this.durationMs) : e.found > 0 ? (0.99 * e.done) / e.found : 0;
    const data = { job_id: this.jobId, attempt: this.attempt, progress, processed_ms: e.frontierMs, chunks_done: e.done, chunks_found: e.found, chunking_done: e.vadFinished };
    this.chain = this.chain.then(() => this.deps.append(this.jobId, [event('JobProgressed', data)])).catch((err) => console.error(`could not log progress of job ${this.jobId}: ${String(err)}`));
  }

  settled(): Promise<unknown> {
    return this.chain;
  }
}
