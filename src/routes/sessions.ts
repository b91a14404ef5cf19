import type { Database } from 'bun:sqlite';
import { Elysia, t } from 'elysia';
import { sessionStream } from '../../events/ids';
import type { EventStore } from '../../events/store';
import type { RecordedEvent } from '../../events/types';
import { callerOf, mayAccess, ownerFilter } from '../auth/principal';
import { NotFoundError } from '../errors';
import { idFilter, MAX_OFFSET, pageQuery, whereEquals } from './paging';
import { rangedFile } from './ranged-file';
import { recordingPath } from '../server/recording';
import { SESSION_PROTOCOLS } from '../server/protocol';
import { existsSync } from 'node:fs';

const Session = t.Object({
  id: t.String(),
  user_id: t.Union([t.String(), t.Null()]),
  model_id: t.String(),
  encoding: t.String(),
  sample_rate: t.Integer(),
  created_at: t.String({ format: 'date-time' }),
  closed_at: t.Union([t.String({ format: 'date-time' }), t.Null()]),
  close_reason: t.Union([t.String(), t.Null()]),
  audio_ms: t.Integer(),
  segments: t.Integer(),
  duration_ms: t.Union([t.Integer(), t.Null()]),
  protocol: t.String({ description: 'what the client spoke: voxlog (/ws/transcribe), deepgram, wyoming or twilio' }),
  recorded: t.Boolean({ description: 'its audio was kept (opened with record=true): GET /api/v1/sessions/{id}/audio' }),
});
const SessionListed = t.Object({ ...Session.properties, first_words: t.Union([t.String(), t.Null()], { description: 'the start of its transcript (up to 120 characters), null before its first final' }) });
const Word = t.Object({ word: t.String(), start_ms: t.Integer(), end_ms: t.Integer() });
const Segment = t.Object({
  id: t.String(),
  segment_seq: t.Integer(),
  content: t.String(),
  start_ms: t.Integer(),
  end_ms: t.Integer(),
  model_id: t.String(),
  latency_ms: t.Integer(),
  words: t.Array(Word),
  written_words: t.Union([t.Array(Word), t.Null()], { description: "the written words (content's words) with their times; null when the segment was not formatted" }),
  created_at: t.String({ format: 'date-time' }),
});
const SessionDetail = t.Object({ ...Session.properties, transcript: t.String(), segments: t.Array(Segment) });
/** A row of `GET /api/v1/sessions`, and one session with its segments (the web app reads these). */
export type SessionRow = typeof SessionListed.static;
export type SessionDetail = typeof SessionDetail.static;
export type LoggedEvent = typeof RecordedEventSchema.static;
export const RecordedEventSchema = t.Object({
  id: t.String(),
  stream_id: t.String(),
  version: t.Integer(),
  position: t.Integer(),
  type: t.String(),
  schema_version: t.Integer(),
  data: t.Record(t.String(), t.Unknown()),
  metadata: t.Record(t.String(), t.Unknown()),
  created_at: t.String({ format: 'date-time' }),
});

const SESSION_COLUMNS = 'id, user_id, model_id, encoding, sample_rate, created_at, closed_at, close_reason, audio_ms, segments, duration_ms, protocol, recorded';
/** The start of a session's transcript, from its first few finals. */
const FIRST_WORDS = `(SELECT substr(group_concat(content, ' '), 1, 120) FROM (SELECT content FROM segments g WHERE g.session_id = sessions.id ORDER BY segment_seq LIMIT 8)) AS first_words`;
type SessionRow_ = Omit<typeof Session.static, 'recorded'> & { recorded: number };
const withFlags = <R extends SessionRow_>(r: R): Omit<R, 'recorded'> & { recorded: boolean } => ({ ...r, recorded: r.recorded === 1 });
const SessionId = t.Object({ id: t.String({ minLength: 1, maxLength: 64, error: 'session id must be 1 to 64 characters' }) });

/** Sessions and their segments (projections) and their raw events (the log). */
export const sessionRoutes = (db: Database, store: EventStore, recordings: string) => {
  /** The session, if the caller may see it; another user's is answered exactly like a missing one, so ids reveal nothing. */
  const accessible = (id: string, request: Request) => {
    const row = db.query(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`).get(id) as SessionRow_ | null;
    if (!row || !mayAccess(callerOf(request), row.user_id)) throw new NotFoundError(`no session ${id}`);
    return withFlags(row);
  };
  return new Elysia({ name: 'sessions', prefix: '/api/v1' })
    .get(
      '/sessions',
      ({ query, request }) => {
        // A user sees only their own sessions whatever user_id they ask for; an admin may filter by any.
        const owner = ownerFilter(callerOf(request));
        const { clause, params } = whereEquals({ model_id: query.model_id, user_id: owner ?? query.user_id, protocol: query.protocol });
        const status = query.status === undefined ? '' : `${clause ? 'AND' : 'WHERE'} closed_at IS ${query.status === 'open' ? '' : 'NOT '}NULL`;
        const items = db
          .query(`SELECT ${SESSION_COLUMNS}, ${FIRST_WORDS} FROM sessions ${clause} ${status} ORDER BY position DESC LIMIT $limit OFFSET $offset`)
          .all({ ...params, limit: query.limit, offset: query.offset })
          .map((r) => withFlags(r as SessionRow_ & { first_words: string | null }));
        const { total } = db.query(`SELECT COUNT(*) AS total FROM sessions ${clause} ${status}`).get(params) as { total: number };
        return { items, total, limit: query.limit, offset: query.offset };
      },
      {
        query: t.Object({
          ...pageQuery,
          model_id: idFilter('model_id'),
          user_id: idFilter('user_id'),
          status: t.Optional(t.Union([t.Literal('open'), t.Literal('closed')], { error: 'status must be open or closed' })),
          protocol: t.Optional(t.Union(SESSION_PROTOCOLS.map((p) => t.Literal(p)), { error: `protocol must be one of ${SESSION_PROTOCOLS.join(', ')}` })),
        }),
        response: t.Object({ items: t.Array(SessionListed), total: t.Integer(), limit: t.Integer(), offset: t.Integer() }),
        detail: { summary: 'Sessions, newest first', tags: ['sessions'] },
      },
    )
    .get(
      '/sessions/:id',
      ({ params, request }) => {
        const session = accessible(params.id, request);
        const rows = db
          .query('SELECT id, segment_seq, content, start_ms, end_ms, model_id, latency_ms, words, written_words, created_at FROM segments WHERE session_id = ? ORDER BY segment_seq')
          .all(params.id) as (Omit<typeof Segment.static, 'words' | 'written_words'> & { words: string; written_words: string | null })[];
        return { ...session, transcript: rows.map((r) => r.content).join(' '), segments: rows.map((r) => ({ ...r, words: JSON.parse(r.words), written_words: r.written_words === null ? null : JSON.parse(r.written_words) })) };
      },
      {
        params: SessionId,
        response: SessionDetail,
        detail: { summary: 'One session with its segments in order', tags: ['sessions'] },
      },
    )
    .get(
      '/sessions/:id/events',
      ({ params, query, request }) => {
        const first = store.readStream(sessionStream(params.id), { to: 1 })[0];
        const owner = first?.type === 'SessionOpened' ? first.data.user_id : null;
        if (!first || !mayAccess(callerOf(request), owner)) throw new NotFoundError(`no session ${params.id}`);
        const events = store.readStream(sessionStream(params.id), { from: query.from_version, to: query.from_version + query.limit - 1 });
        return { events: events.map(toJson) };
      },
      {
        params: SessionId,
        query: t.Object({
          from_version: t.Integer({ minimum: 1, maximum: MAX_OFFSET, default: 1, error: `from_version must be an integer from 1 to ${MAX_OFFSET}` }),
          limit: t.Integer({ minimum: 1, maximum: 5000, default: 1000, error: 'limit must be an integer from 1 to 5000' }),
        }),
        response: t.Object({ events: t.Array(RecordedEventSchema) }),
        detail: { summary: "A session's events from the log, in order", tags: ['sessions', 'events'] },
      },
    )
    .get(
      '/sessions/:id/audio',
      ({ params, request }) => {
        const session = accessible(params.id, request);
        const path = recordingPath(recordings, params.id);
        if (!session.recorded || !existsSync(path)) throw new NotFoundError(`session ${params.id} kept no audio: a session keeps it only when opened with record=true`, 'no_audio');
        return rangedFile(request, path, 'audio/wav');
      },
      {
        params: SessionId,
        detail: { summary: "A session's audio as a 16-bit WAV, when it was opened with record=true (Range requests served, for players)", tags: ['sessions'] },
      },
    );
};

/** Fields the log keeps that no read API hands out. */
const SECRET_FIELDS = ['password_hash', 'key_hash'];
const redact = (data: Record<string, unknown>): Record<string, unknown> =>
  SECRET_FIELDS.some((f) => f in data) ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, SECRET_FIELDS.includes(k) ? '[redacted]' : v])) : data;

/** The wire shape of a stored event (secrets redacted). */
export const toJson = (e: RecordedEvent) => ({
  id: e.id,
  stream_id: e.streamId,
  version: e.version,
  position: e.position,
  type: e.type,
  schema_version: e.schemaVersion,
  data: redact(e.data as Record<string, unknown>),
  metadata: (e.metadata ?? {}) as Record<string, unknown>,
  created_at: e.createdAt,
});
