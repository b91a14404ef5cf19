// `GET /v1/listen` (WebSocket): Deepgram's live transcription protocol over a voxlog session.
import { Elysia } from 'elysia';
import { callerOf } from '../../auth/principal';
import { ValidationError } from '../../errors';
import { cutSlowConsumer, echoProtocol, runSession, wsOutlet } from '../../server/host';
import type { SessionSocket } from '../../server/session';
import type { SessionOptions } from '../../server/session';
import { sessionOptionsFrom, type TranscribeDeps } from '../../server/ws';
import { parseListenQuery } from './query';
import { closeReason, LiveTranslator, type ModelInfo } from './results';

type Query = Record<string, string | undefined>;
type Parsed = Exclude<ReturnType<typeof parseListenQuery>, { error: string }> & { readonly session: SessionOptions };
type Attached = { dg?: { translator: LiveTranslator; socket: SessionSocket } };

/** Deepgram's control messages, as voxlog's. */
const CONTROL: Record<string, string> = { KeepAlive: 'keepalive', Finalize: 'finalize', CloseStream: 'close' };

export const deepgramLive = (deps: TranscribeDeps, describe: (modelId: string) => ModelInfo) => {
  /** The query as the handshake read it, for the socket it opens (the same Request reaches `open`). */
  const parsedFor = new WeakMap<Request, Parsed>();
  return new Elysia({ name: 'deepgram-live' }).ws('/v1/listen', {
    upgrade({ request, set }) {
      echoProtocol(request, set);
    },
    beforeHandle({ request, server, query }) {
      deps.sockets.checkUpgrade(request, server, deps.onRejected);
      // A bad query fails the handshake (400), as Deepgram's does: what Deepgram's names mean, then
      // what voxlog's session makes of them (a sample rate out of range, a language tag), all before the upgrade.
      const parsed = parseListenQuery(query as Query, deps.registry.catalog);
      if ('error' in parsed) throw new ValidationError(parsed.error, 'Bad Request');
      const session = sessionOptionsFrom(parsed.native, deps, callerOf(request));
      if ('code' in session) throw new ValidationError(session.message, 'Bad Request');
      parsedFor.set(request, { ...parsed, session });
    },
    open(ws) {
      deps.sockets.opened(ws);
      const parsed = parsedFor.get(ws.data.request)!;
      const caller = callerOf(ws.data.request);
      const options = parsed.session;
      const translator = new LiveTranslator(options.sessionId, parsed.options, describe);
      const outlet = wsOutlet(ws, deps, cutSlowConsumer(deps, ws.id));
      let lastError: string | undefined;
      const socket: SessionSocket = {
        ...outlet,
        send: (m) => {
          if (m.type === 'error') lastError = m.message;
          for (const out of translator.translate(m)) outlet.text(JSON.stringify(out));
        },
        // Deepgram closes an idle socket with 1011 NET-0001; voxlog's session ends it normally.
        close: (code, reason, abrupt) => outlet.close(reason === 'idle_timeout' ? 1011 : code, closeReason(code, reason, lastError), abrupt),
      };
      (ws.data as Attached).dg = { translator, socket };
      runSession(deps, ws.id, socket, { ...options, origin: { protocol: 'deepgram' } }, caller);
    },
    message(ws, message) {
      const session = deps.sessions.get(ws.id);
      if (!session) return;
      const dg = (ws.data as Attached).dg!;
      if (message instanceof Uint8Array) {
        dg.translator.heard(message);
        return session.handleBinary(message);
      }
      const type = (message as { type?: unknown } | null)?.type;
      const control = typeof type === 'string' ? CONTROL[type] : undefined;
      if (control) return session.handleText({ type: control });
      const what = typeof message === 'string' ? `text frames must be JSON; got ${JSON.stringify(message.slice(0, 40))}` : `unknown message type ${JSON.stringify(type)}`;
      dg.socket.send({ type: 'error', code: 'INVALID_MESSAGE', message: `${what}; expected KeepAlive, Finalize or CloseStream (audio goes in binary frames)` });
    },
    close(ws) {
      deps.sockets.closed(ws);
      deps.sessions.get(ws.id)?.socketGone();
    },
  });
};
