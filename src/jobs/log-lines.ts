// The human-readable job log: one line per job event, used by the `job_log` projection, the live
// progress streams and `bun run replay`.
import type { EventOf } from '../../events/types';

export type JobEvent = EventOf<'JobSubmitted' | 'JobStarted' | 'JobProgressed' | 'JobCompleted' | 'JobFailed' | 'JobRetried' | 'JobClaimed' | 'JobCancelled' | 'JobDeleted' | 'JobExpired'>;

export interface JobLogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** What a job event says, for people. */
export function jobLogLine(e: JobEvent): JobLogLine {
  switch (e.type) {
    case 'JobSubmitted':
      return { level: 'info', message: `submitted ${e.data.file_name} (${e.data.audio}${e.data.duration_ms === null ? '' : `, ${seconds(e.data.duration_ms)}`}) for ${e.data.model_id}, priority ${e.data.priority}` };
    case 'JobStarted':
      return { level: 'info', message: `started attempt ${e.data.attempt} on ${e.data.model_id}; chunking at silences (Silero VAD)` };
    case 'JobProgressed': {
      // While the VAD is still cutting, the total is not known yet: "1 of 4" would read as the end.
      const chunk = e.data.chunking_done ? `chunk ${e.data.chunks_done} of ${e.data.chunks_found} done` : `chunk ${e.data.chunks_done} done, ${e.data.chunks_found} found so far`;
      return { level: 'info', message: `${chunk} (${Math.round(e.data.progress * 100)}%, ${seconds(e.data.processed_ms)} of audio)` };
    }
    case 'JobCompleted': {
      const rtf = e.data.audio_ms > 0 ? ` (real-time factor ${(e.data.processing_ms / e.data.audio_ms).toFixed(3)})` : '';
      return { level: 'info', message: `done: ${e.data.segments.length} segments from ${e.data.chunks} chunks, ${seconds(e.data.audio_ms)} of audio in ${seconds(e.data.processing_ms)}${rtf}` };
    }
    case 'JobFailed':
      return { level: 'error', message: `attempt ${e.data.attempt} failed${e.data.permanent ? ' for good' : ''}: ${e.data.message}${e.data.dead_letter ? ' (no attempts left: dead letter)' : ''}` };
    case 'JobRetried':
      return { level: 'warn', message: e.data.cause === 'requested' ? 'restarted on request' : `${e.data.message}; retrying in ${seconds(e.data.delay_ms)}` };
    case 'JobClaimed':
      return { level: 'info', message: `${e.data.renewal ? 'claim renewed' : 'claimed'} by node ${e.data.node} (lease ${seconds(e.data.lease_ms)})` };
    case 'JobCancelled':
      return { level: 'warn', message: `cancelled: ${e.data.reason}` };
    case 'JobDeleted':
      return { level: 'info', message: 'deleted' };
    case 'JobExpired':
      return { level: 'info', message: `expired: upload and results removed after ${e.data.retention_days} days` };
    default: {
      const never: never = e;
      return { level: 'info', message: JSON.stringify(never) };
    }
  }
}
