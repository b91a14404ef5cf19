import { Elysia } from 'elysia';
import { newAttemptId, newSessionId, sessionStream } from '../../events/ids';
import type { EventStore } from '../../events/store';
import { protocolToken } from '../auth/authenticator';
import { callerOf, mayAccess, type Principal } from '../auth/principal';
import type { Limits } from '../config';
import type { EngineRegistry } from '../engine/registry';
import { RateLimitedError } from '../errors';
import type { SessionSummary } from '../ops/logs';
import type { Metrics } from '../ops/metrics';
import { CloseCode, type ServerMessage } from './protocol';
import { Session, type ResumePoint, type SessionObserver, type SessionOptions } from './session';
import { DEFAULT_SETTINGS, parseSettings } from './settings';

export interface TranscribeDeps {
  readonly registry: EngineRegistry;
  readonly store: Pick<EventStore, 'append' | 'readStream'>;
  readonly defaultModel: string;
  readonly idleMs: number;
  readonly maxFrameBytes: number;
  readonly limits: Limits;
  /** Live sessions by socket id, so the server can drain them at shutdown. */
  readonly sessions: Map<string, Session>;
  readonly onRejected?: (reason: string) => void;
  readonly metrics?: Metrics;
  readonly log?: (s: SessionSummary) => void;
  /** Dictation: sessions opened with `item_id` are scored as attempts when they close. */
  readonly practice?: Practice;
}

export interface Practice {
  mayPractise(caller: Principal, itemId: string): boolean;
  /** Scores the closed session `sessionId` as attempt `attemptId` at `itemId`. */
  score(caller: Principal, itemId: string, attemptId: string, sessionId: string): void;
}

type Query = Record<string, string | undefined>;
type Refusal = { readonly code: string; readonly message: string; readonly closeCode: number };

/** Validates the upgrade's query string into session options, or says what is wrong and how to close. */
export function sessionOptionsFrom(query: Query, deps: TranscribeDeps, caller: Principal): SessionOptions | Refusal {
  const settings = parseSettings(query, DEFAULT_SETTINGS, 'query');
  if ('error' in settings) return { code: 'invalid_audio_format', message: settings.error, closeCode: CloseCode.unsupportedData };
  const language = query.language || null;
  if (language !== null && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(language)) {
    return { code: 'invalid_audio_format', message: `language ${JSON.stringify(language)} is not a BCP 47 tag such as en or en-US`, closeCode: CloseCode.unsupportedData };
  }
  const common = { settings, language, idleMs: deps.idleMs, maxFrameBytes: deps.maxFrameBytes, limits: deps.limits, owner: caller.userId };
  if (query.item_id) {
    if (query.session_id) return { code: 'invalid_request', message: 'item_id starts a new attempt; it cannot be combined with session_id', closeCode: CloseCode.policyViolation };
    if (!deps.practice?.mayPractise(caller, query.item_id)) return { code: 'unknown_item', message: `no item ${query.item_id} to practise`, closeCode: CloseCode.policyViolation };
    return { ...common, sessionId: newSessionId(), modelId: query.model || deps.defaultModel, practice: { itemId: query.item_id, attemptId: newAttemptId() } };
  }
  if (!query.session_id) return { ...common, sessionId: newSessionId(), modelId: query.model || deps.defaultModel };
  const resume = resumePoint(query.session_id, deps, caller);
  if ('code' in resume) return resume;
  return { ...common, sessionId: query.session_id, modelId: query.model || resume.modelId, resume: resume.point };
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

/** How long a deliberate close waits for the client's answer before the connection is cut. */
const CLOSE_WAIT_MS = 5_000;

/** Session activity into the metrics and the log. */
const observer = (deps: TranscribeDeps): SessionObserver => ({
  frame: () => deps.metrics?.frames.inc(),
  partial: (ms) => deps.metrics?.partialLag.observe(ms / 1000),
  final: (ms) => deps.metrics?.finalLatency.observe(ms / 1000),
  ended: (summary) => {
    deps.metrics?.sessionsEnded.inc({ reason: summary.reason });
    deps.log?.(summary);
  },
});

/** Flow control Bun's ServerWebSocket has (1.4.5) but the type Elysia exposes does not declare. */
interface Flow {
  getBufferedAmount(): number;
  pause(): void;
  resume(): void;
}
const bufferedAmount = (raw: object): number => (raw as Flow).getBufferedAmount();

/** `GET /ws/transcribe`: live transcription sessions (DESIGN.md §4). */
export const transcribeRoutes = (deps: TranscribeDeps) => {
  const perIp = new Map<string, number>();
  // Ending the session closes the socket, which cuts a client that never answers the close frame.
  const slowConsumer = (id: string) => {
    deps.onRejected?.('slow_consumer');
    void deps.sessions.get(id)?.end('slow_consumer', `more than ${deps.limits.maxOutboundBytes} bytes queued for this client for ${deps.limits.graceMs} ms; it is not reading`, CloseCode.policyViolation);
  };
  return new Elysia({ name: 'transcribe' }).ws('/ws/transcribe', {
    upgrade({ request, set }) {
      // A browser that offered `token, <credential>` fails the handshake unless the protocol is echoed.
      if (protocolToken(request.headers.get('sec-websocket-protocol'))) set.headers['sec-websocket-protocol'] = 'token';
    },
    beforeHandle({ request, server }) {
      const ip = server?.requestIP(request)?.address ?? 'unknown';
      if ((perIp.get(ip) ?? 0) >= deps.limits.maxSocketsPerIp) {
        deps.onRejected?.('sockets_per_ip');
        throw new RateLimitedError(`${ip} already has ${deps.limits.maxSocketsPerIp} open sockets (VOXLOG_MAX_SOCKETS_PER_IP)`, 5, 'too_many_connections');
      }
    },
    open(ws) {
      const ip = ws.raw.remoteAddress;
      perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
      (ws.data as { ip?: string }).ip = ip;
      let slowSince: number | undefined;
      let cutOff = false;
      const socket = {
        send: (m: ServerMessage) => {
          if (ws.raw.readyState !== 1) return;
          ws.send(JSON.stringify(m));
          // A client that does not read must not make the server hold its results without bound.
          if (bufferedAmount(ws.raw) <= deps.limits.maxOutboundBytes) return void (slowSince = undefined);
          const now = performance.now();
          slowSince ??= now;
          if (now - slowSince >= deps.limits.graceMs && !cutOff) (cutOff = true), slowConsumer(ws.id);
        },
        close: (code: number, reason: string) => {
          if (ws.raw.readyState !== 1) return;
          ws.close(code, reason);
          // A client that does not read never answers the close frame: do not hold its socket for it.
          setTimeout(() => ws.raw.readyState !== 3 && ws.raw.terminate(), CLOSE_WAIT_MS).unref();
        },
        pause: () => ws.raw.readyState === 1 && (ws.raw as unknown as Flow).pause(),
        resume: () => ws.raw.readyState === 1 && (ws.raw as unknown as Flow).resume(),
      };
      const options = sessionOptionsFrom(ws.data.query as Query, deps, callerOf(ws.data.request));
      if ('code' in options) {
        socket.send({ type: 'error', code: options.code, message: options.message });
        return socket.close(options.closeCode, options.code);
      }
      const session = new Session({ acquire: (id) => deps.registry.acquire(id), store: deps.store, socket, onRejected: deps.onRejected, observe: observer(deps) }, options);
      deps.sessions.set(ws.id, session);
      const { practice } = options;
      void session.done.then(() => {
        deps.sessions.delete(ws.id);
        if (practice) deps.practice?.score(callerOf(ws.data.request), practice.itemId, practice.attemptId, session.id);
      });
    },
    message(ws, message) {
      const session = deps.sessions.get(ws.id);
      if (!session) return;
      if (message instanceof Uint8Array) session.handleBinary(message);
      else session.handleText(message);
    },
    close(ws) {
      const ip = (ws.data as { ip?: string }).ip;
      if (ip !== undefined) {
        const n = (perIp.get(ip) ?? 1) - 1;
        if (n <= 0) perIp.delete(ip);
        else perIp.set(ip, n);
      }
      deps.sessions.get(ws.id)?.socketGone();
    },
  });
};
