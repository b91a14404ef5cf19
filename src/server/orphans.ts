import type { Database } from 'bun:sqlite';
import { sessionStream } from '../../events/ids';
import type { EventStore } from '../../events/store';
import { event } from '../../events/types';

/**
 * Closes sessions the log shows open that no live socket serves: the server died under them, or
 * their own SessionClosed could not be stored. Each gets a SessionClosed with `reason` and what the
 * log knows of it, so no view shows a session open forever (and it can be resumed). Returns the count.
 */
export async function closeOrphans(db: Database, store: Pick<EventStore, 'append'>, live: ReadonlySet<string>, reason: string, now = Date.now()): Promise<number> {
  const open = db
    .query(
      `SELECT s.id, s.model_id, s.user_id, s.created_at, s.segments, COALESCE(MAX(g.end_ms), s.audio_ms) AS audio_ms
       FROM sessions s LEFT JOIN segments g ON g.session_id = s.id WHERE s.closed_at IS NULL GROUP BY s.id`,
    )
    .all() as { id: string; model_id: string; user_id: string | null; created_at: string; segments: number; audio_ms: number }[];
  let closed = 0;
  for (const s of open) {
    if (live.has(s.id)) continue;
    const closing = event(
      'SessionClosed',
      {
        session_id: s.id,
        reason,
        audio_ms: s.audio_ms,
        model_id: s.model_id,
        model_audio_ms: 0,
        segments: s.segments,
        partials: 0,
        duration_ms: Math.max(0, now - Date.parse(s.created_at)),
      },
      s.user_id === null ? {} : { user_id: s.user_id },
    );
    await store.append(sessionStream(s.id), [closing]);
    closed += 1;
  }
  return closed;
}
