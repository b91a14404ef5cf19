import { Elysia } from 'elysia';
import { newAttemptId, newSessionId, sessionStream } from '../../events/ids';
import type { EventStore } from '../../events/store';
import { callerOf, mayAccess, type Principal } from '../auth/principal';
import type { Limits } from '../config';
import type { LiveCredentials } from '../auth/revocation';
import type { EngineRegistry } from '../engine/registry';
import type { SessionSummary } from '../ops/logs';
import type { Metrics } from '../ops/metrics';
import { CloseCode, type ServerMessage } from './protocol';
import { cutSlowConsumer, echoProtocol, runSession, wsOutlet, type SocketsPerIp } from './host';
import type { ResumePoint, Session, SessionOptions } from './session';
import { DEFAULT_SETTINGS, parseSettings } from './settings';
import { recordingPath } from './recording';
import { existsSync } from 'node:fs';

export interface TranscribeDeps {
  readonly registry: EngineRegistry;
  readonly store: Pick<EventStore, 'append' | 'readStream'>;
  readonly defaultModel: string;
  readonly idleMs: number;
  readonly maxFrameBytes: number;
  readonly limits: Limits;
  /** Live sessions by socket id, so the server can drain them at shutdown. */
  readonly sessions: Map<string, Session>;
  /** Open sockets per client address, shared with the protocol adapters. */
  readonly sockets: SocketsPerIp;
  readonly onRejected?: (reason: string) => void;
  readonly metrics?: Metrics;
  readonly log?: (s: SessionSummary) => void;
  /** The credential each live session opened with, so a revocation ends it. */
  readonly credentials?: LiveCredentials;
  /** Dictation: sessions opened with `item_id` are scored as attempts when they close. */
  readonly practice?: Practice;
  /** The folder sessions opened with `record=true` keep their audio in. */
  readonly recordings?: string;
}

export interface Practice {
  mayPractise(caller: Principal, itemId: string): boolean;
  /** Scores the closed session `sessionId` as attempt `attemptId` at `itemId`. */
  score(caller: Principal, itemId: string, attemptId: string, sessionId: string): void;
}

type Query = Record<string, string | undefined>;

/** A BCP 47 tag such as `en` or `en-US` (the shape, not the registry). */
export const isLanguageTag = (s: string): boolean => /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(s);
type Refusal = { readonly code: string; readonly message: string; readonly closeCode: number };

/** Validates the upgrade's query string into session options, or says what is wrong and how to close. */
export function sessionOptionsFrom(query: Query, deps: TranscribeDeps, caller: Principal): SessionOptions | Refusal {
  const settings = parseSettings(query, DEFAULT_SETTINGS, 'query');
  if ('error' in settings) return { code: 'invalid_audio_format', message: settings.error, closeCode: CloseCode.unsupportedData };
  const language = query.language || null;
  if (language !== null && !isLanguageTag(language)) {
    return { code: 'invalid_audio_format', message: `language ${JSON.stringify(language)} is not a BCP 47 tag such as en or en-US`, closeCode: CloseCode.unsupportedData };
  }
  const common = { settings, language, idleMs: deps.idleMs, maxFrameBytes: deps.maxFrameBytes, limits: deps.limits, owner: caller.userId };
  if (query.record !== undefined && query.record !== 'true' && query.record !== 'false') return { code: 'invalid_request', message: `record ${JSON.stringify(query.record)} must be true or false`, closeCode: CloseCode.policyViolation };
  const kept = (sessionId: string) => (query.record === 'true' && deps.recordings ? { recording: recordingPath(deps.recordings, sessionId) } : {});
  if (query.item_id) {
    if (query.session_id) return { code: 'invalid_request', message: 'item_id starts a new attempt; it cannot be combined with session_id', closeCode: CloseCode.policyViolation };
    if (!deps.practice?.mayPractise(caller, query.item_id)) return { code: 'unknown_item', message: `no item ${query.item_id} to practise`, closeCode: CloseCode.policyViolation };
    const sessionId = newSessionId();
    return { ...common, sessionId, modelId: query.model || deps.defaultModel, practice: { itemId: query.item_id, attemptId: newAttemptId() }, ...kept(sessionId) };
  }
  if (!query.session_id) {
    const sessionId = newSessionId();
    return { ...common, sessionId, modelId: query.model || deps.defaultModel, ...kept(sessionId) };
  }
  const resume = resumePoint(query.session_id, deps, caller);
  if ('code' in resume) return resume;
  // A recording is one timeline from the session's start: a resume carries on the one its session began with.
  const recording = deps.recordings ? recordingPath(deps.recordings, query.session_id) : undefined;
  const recorded = recording !== undefined && existsSync(recording);
  if (query.record === 'true' && !recorded) return { code: 'invalid_request', message: `session ${query.session_id} did not keep its audio from its start; record=true applies to new sessions`, closeCode: CloseCode.policyViolation };
  return { ...common, sessionId: query.session_id, modelId: query.model || resume.modelId, resume: resume.point, ...(recorded ? { recording } : {}) };
}

/** Reads where an interrupted session left off; refuses unknown sessions and ones still connected. */
function resumePoint(sessionId: string, deps: TranscribeDeps, caller: Principal): { point: ResumePoint; modelId: string } | Refusal {
  if ([...deps.sessions.values()].some((s) => s.id === sessionId)) {
    return { code: 'session_active', message: `session ${sessionId} is still connected`, closeCode: CloseCode.policyViolation };
  }
  const events = deps.store.readStream(sessionStream(sessionId));
  const opened = events[0];
  // Someone else's session is answered exactly like one that does not exist: ids are not disclosed.
  if (!opened || (opened.type === 'SessionOpened' && !mayAccess(caller, opened.data.user_id))) {
    return { code: 'unknown_session', message: `no session ${sessionId} to resume`, closeCode: CloseCode.policyViolation };
  }
  let nextSegment = 0;
  let atMs = 0;
  let modelId = '';
  for (const e of events) {
    if (e.type === 'SessionOpened' || e.type === 'SessionResumed') modelId = e.data.model_id;
    if (e.type === 'ModelSwitched') modelId = e.data.to_model_id;
    if (e.type === 'SegmentFinalized') nextSegment = Math.max(nextSegment, e.data.segment + 1);
    if (e.type === 'SessionClosed') atMs = e.data.audio_ms;
  }
  if (events.at(-1)!.type !== 'SessionClosed') {
    return { code: 'session_active', message: `session ${sessionId} has not ended; it cannot be resumed yet`, closeCode: CloseCode.tryAgainLater };
  }
  return { point: { nextSegment, atMs, version: events.at(-1)!.version }, modelId };
}

/** `GET /ws/transcribe`: live transcription sessions (DESIGN.md §4). */
export const transcribeRoutes = (deps: TranscribeDeps) =>
  new Elysia({ name: 'transcribe' }).ws('/ws/transcribe', {
    upgrade({ request, set }) {
      echoProtocol(request, set);
    },
    beforeHandle({ request, server }) {
      deps.sockets.checkUpgrade(request, server, deps.onRejected);
    },
    open(ws) {
      deps.sockets.opened(ws);
      const outlet = wsOutlet(ws, deps, cutSlowConsumer(deps, ws.id));
      const socket = { ...outlet, send: (m: ServerMessage) => outlet.text(JSON.stringify(m)) };
      const caller = callerOf(ws.data.request);
      const options = sessionOptionsFrom(ws.data.query as Query, deps, caller);
      if ('code' in options) {
        socket.send({ type: 'error', code: options.code, message: options.message });
        return socket.close(options.closeCode, options.code);
      }
      runSession(deps, ws.id, socket, options, caller);
    },
    message(ws, message) {
      const session = deps.sessions.get(ws.id);
      if (!session) return;
      if (message instanceof Uint8Array) session.handleBinary(message);
      else session.handleText(message);
    },
    close(ws) {
      deps.sockets.closed(ws);
      deps.sessions.get(ws.id)?.socketGone();
    },
  });
