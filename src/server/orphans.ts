import type { Database } from 'bun:sqlite';
import { appendAtVersion } from '../../events/claims';
import { sessionStream } from '../../events/ids';
import type { EventStore } from '../../events/store';
import { event, type VoxEvent } from '../../events/types';

/**
 * Closes sessions the log shows open that no live socket serves: the server died under them, or
 * their own SessionClosed could not be stored. Each gets a SessionClosed with `reason` and what the
 * log knows of it, so no view shows a session open forever (and it can be resumed). Returns the count.
 */
export async function closeOrphans(
  db: Database,
  store: Pick<EventStore, 'append' | 'streamVersion'>,
  live: ReadonlySet<string>,
  reason: string,
  /** Whether this node may close a session served by `node` (null: logged before sessions named their node). */
  mayClose: (node: string | null) => boolean,
  now = Date.now(),
): Promise<number> {
  const open = db
    .query(
      `SELECT s.id, s.model_id, s.user_id, s.created_at, s.segments, COALESCE(MAX(g.end_ms), s.audio_ms) AS audio_ms
       FROM sessions s LEFT JOIN segments g ON g.session_id = s.id WHERE s.closed_at IS NULL GROUP BY s.id`,
    )
    .all() as { id: string; model_id: string; user_id: string | null; created_at: string; segments: number; audio_ms: number }[];
  // On a log several nodes share, another node's sessions may be live: `mayClose` decides.
  const servedBy = db.query<{ node: string | null }, [string]>(
    `SELECT json_extract(metadata, '$.node') AS node FROM events WHERE stream_id = ? AND type IN ('SessionOpened', 'SessionResumed') ORDER BY version DESC LIMIT 1`,
  );
  let closed = 0;
  for (const s of open) {
    if (live.has(s.id)) continue;
    if (!mayClose(servedBy.get(sessionStream(s.id))?.node ?? null)) continue;
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
    // Of two nodes closing a lost node's session at once, one does.
    if (await appendAtVersion(store, sessionStream(s.id), [closing])) closed += 1;
  }
  return closed;
}

/** The store sessions write through: their opening events name the node serving them (see closeOrphans). */
export function stampingNode<S extends Pick<EventStore, 'append' | 'readStream'>>(store: S, node: string): Pick<EventStore, 'append' | 'readStream'> {
  const opening = new Set(['SessionOpened', 'SessionResumed']);
  return {
    append: (streamId, events, options) => store.append(streamId, events.map((e) => (opening.has(e.type) ? ({ ...e, metadata: { ...e.metadata, node } } as VoxEvent) : e)), options),
    readStream: (streamId, range) => store.readStream(streamId, range),
  };
}
