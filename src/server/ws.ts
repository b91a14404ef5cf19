import { Elysia } from 'elysia';
import { newSessionId } from '../../events/ids';
import type { EventStore } from '../../events/store';
import { ENCODINGS, SAMPLE_RATES, type Encoding } from '../audio/codecs';
import type { EngineRegistry } from '../engine/registry';
import { CloseCode, type ServerMessage } from './protocol';
import { Session, type SessionOptions } from './session';

export interface TranscribeDeps {
  readonly registry: EngineRegistry;
  readonly store: EventStore;
  readonly defaultModel: string;
  readonly idleMs: number;
  readonly maxFrameBytes: number;
  /** Live sessions by socket id, so the server can drain them at shutdown. */
  readonly sessions: Map<string, Session>;
}

type Query = Record<string, string | undefined>;

/** Validates the upgrade's query string into session options, or says what is wrong. */
export function sessionOptionsFrom(query: Query, deps: Pick<TranscribeDeps, 'defaultModel' | 'idleMs' | 'maxFrameBytes'>): SessionOptions | { error: string } {
  const encoding = (query.encoding ?? 'pcm16') as Encoding;
  if (!ENCODINGS.includes(encoding)) return { error: `encoding ${JSON.stringify(query.encoding)} is not one of ${ENCODINGS.join(', ')}` };
  const sampleRate = Number(query.sample_rate ?? 16000);
  if (!(SAMPLE_RATES as readonly number[]).includes(sampleRate)) return { error: `sample_rate ${JSON.stringify(query.sample_rate)} is not one of ${SAMPLE_RATES.join(', ')}` };
  const language = query.language || null;
  if (language !== null && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(language)) return { error: `language ${JSON.stringify(language)} is not a BCP 47 tag such as en or en-US` };
  return {
    sessionId: newSessionId(),
    language,
    modelId: query.model || deps.defaultModel,
    encoding,
    sampleRate,
    idleMs: deps.idleMs,
    maxFrameBytes: deps.maxFrameBytes,
  };
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
      if ('error' in options) {
        socket.send({ type: 'error', code: 'invalid_audio_format', message: options.error });
        return socket.close(CloseCode.unsupportedData, 'invalid_audio_format');
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
