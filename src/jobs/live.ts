// Live progress of one job, for its WebSocket and its Server-Sent Events route: the job's log so
// far, then each new line and progress figure as its events commit, ending when the job does.
import type { Database } from 'bun:sqlite';
import { jobStream } from '../../events/ids';
import type { EventStore } from '../../events/store';
import type { RecordedEvent } from '../../events/types';
import { jobLogLine, type JobEvent } from './log-lines';
import { readJob, type Job } from './read';

export type JobMessage =
  | { readonly type: 'job'; readonly job: Job }
  | { readonly type: 'log'; readonly at: string; readonly level: string; readonly message: string }
  | { readonly type: 'progress'; readonly progress: number; readonly processed_ms: number; readonly chunks_done: number; readonly chunks_found: number }
  /** The job has finished (or was deleted): nothing more will come. */
  | { readonly type: 'end'; readonly status: Job['status'] | 'deleted' };

/** Events after which a job has no work ahead (until someone restarts it). */
const isEnd = (e: RecordedEvent): boolean =>
  e.type === 'JobCompleted' || e.type === 'JobFailed' || e.type === 'JobCancelled' || e.type === 'JobDeleted' || e.type === 'JobExpired';

function messagesOf(db: Database, e: RecordedEvent & JobEvent): JobMessage[] {
  const out: JobMessage[] = [];
  if (e.type !== 'JobDeleted') out.push({ type: 'log', at: e.createdAt, ...jobLogLine(e) });
  if (e.type === 'JobProgressed') out.push({ type: 'progress', progress: e.data.progress, processed_ms: e.data.processed_ms, chunks_done: e.data.chunks_done, chunks_found: e.data.chunks_found });
  return out;
}

/**
 * The job's messages, read from its stream in the log as the reader pulls them: a slow reader
 * makes the server hold nothing, and a reconnecting one can start after the version it saw.
 */
export async function* followJob(store: EventStore, db: Database, id: string, signal: AbortSignal): AsyncGenerator<JobMessage> {
  const stream = jobStream(id);
  let version = 0;
  let doorbell: (() => void) | undefined;
  const unsubscribe = store.subscribe((e) => e.streamId === stream && doorbell?.());
  const onAbort = () => doorbell?.();
  signal.addEventListener('abort', onAbort);
  try {
    const first = readJob(db, id);
    if (first) yield { type: 'job', job: first.job };
    while (!signal.aborted) {
      const events = store.readStream(stream, { from: version + 1 });
      let ended = false;
      for (const e of events) {
        version = e.version;
        if (e.type.startsWith('Job') && e.type !== 'JobSettingsChanged') yield* messagesOf(db, e as RecordedEvent & JobEvent);
        ended = isEnd(e);
      }
      // Ends only when the last event so far is an end: a restarted job goes on.
      if (ended || (events.length === 0 && version === 0 && !readJob(db, id))) {
        const now = readJob(db, id);
        if (now) yield { type: 'job', job: now.job };
        yield { type: 'end', status: now?.job.status ?? 'deleted' };
        return;
      }
      if (events.length > 0) {
        const now = readJob(db, id);
        if (now) yield { type: 'job', job: now.job };
        continue;
      }
      await new Promise<void>((resolve) => (doorbell = resolve));
      doorbell = undefined;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}
