import { Elysia } from 'elysia';
import { newSessionId, sessionStream } from '../../events/ids';
import type { EventStore } from '../../events/store';
import type { EngineRegistry } from '../engine/registry';
import { CloseCode, type ServerMessage } from './protocol';
import { Session, type ResumePoint, type SessionOptions } from './session';
import { DEFAULT_SETTINGS, parseSettings } from './settings';

export interface TranscribeDeps {
  readonly registry: EngineRegistry;
  readonly store: Pick<EventStore, 'append' | 'readStream'>;
  readonly defaultModel: string;
  readonly idleMs: number;
  readonly maxFrameBytes: number;
  /** Live sessions by socket id, so the server can drain them at shutdown. */
  readonly sessions: Map<string, Session>;
}

type Query = Record<string, string | undefined>;
type Refusal = { readonly code: string; readonly message: string; readonly closeCode: number };

/** Validates the upgrade's query string into session options, or says what is wrong and how to close. */
export function sessionOptionsFrom(query: Query, deps: TranscribeDeps): SessionOptions | Refusal {
  const settings = parseSettings(query, DEFAULT_SETTINGS);
  if ('error' in settings) return { code: 'invalid_audio_format', message: settings.error, closeCode: CloseCode.unsupportedData };
  const language = query.language || null;
  if (language !== null && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(language)) {
    return { code: 'invalid_audio_format', message: `language ${JSON.stringify(language)} is not a BCP 47 tag such as en or en-US`, closeCode: CloseCode.unsupportedData };
  }
  const common = { settings, language, idleMs: deps.idleMs, maxFrameBytes: deps.maxFrameBytes };
  if (!query.session_id) return { ...common, sessionId: newSessionId(), modelId: query.model || deps.defaultModel };
  const resume = resumePoint(query.session_id, deps);
  if ('code' in resume) return resume;
  return { ...common, sessionId: query.session_id, modelId: query.model || resume.modelId, resume: resume.point };
}

/** Reads where an interrupted session left off; refuses unknown sessions and ones still connected. */
function resumePoint(sessionId: string, deps: TranscribeDeps): { point: ResumePoint; modelId: string } | Refusal {
  if ([...deps.sessions.values()].some((s) => s.id === sessionId)) {
    return { code: 'session_active', message: `session ${sessionId} is still connected`, closeCode: CloseCode.policyViolation };
  }
  const events = deps.store.readStream(sessionStream(sessionId));
  if (events.length === 0) return { code: 'unknown_session', message: `no session ${sessionId} to resume`, closeCode: CloseCode.policyViolation };
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
    open(ws) {
      const socket = {
        send: (m: ServerMessage) => {
          if (ws.raw.readyState === 1) ws.send(JSON.stringify(m));
        },
        close: (code: number, reason: string) => {
          if (ws.raw.readyState === 1) ws.close(code, reason);
        },
      };
      const options = sessionOptionsFrom(ws.data.query as Query, deps);
      if ('code' in options) {
        socket.send({ type: 'error', code: options.code, message: options.message });
        return socket.close(options.closeCode, options.code);
      }
      const session = new Session({ acquire: (id) => deps.registry.acquire(id), store: deps.store, socket }, options);
      deps.sessions.set(ws.id, session);
      void session.done.then(() => deps.sessions.delete(ws.id));
    },
    message(ws, message) {
      const session = deps.sessions.get(ws.id);
      if (!session) return;
      if (message instanceof Uint8Array) session.handleBinary(message);
      else session.handleText(message);
    },
    close(ws) {
      deps.sessions.get(ws.id)?.socketGone();
    },
  });
