// `GET /v1/listen` (WebSocket): Deepgram's live transcription protocol over a voxlog session.
import type { ServerMessage } from '../../server/protocol';
import type { Session, SessionOptions } from '../../server/session';
import type { TranscribeDeps } from '../../server/ws';
import { vendorSocket, type Translator } from '../socket';
import { parseListenQuery, type ListenOptions } from './query';
import { closeReason, LiveTranslator, type ModelInfo } from './results';

/** Deepgram's control messages, as voxlog's. */
const CONTROL: Record<string, string> = { KeepAlive: 'keepalive', Finalize: 'finalize', CloseStream: 'close' };

/** One Deepgram client: its results translated, its control messages read, its close said Deepgram's way. */
class ListenConnection implements Translator {
  private readonly results: LiveTranslator;

  constructor(requestId: string, options: ListenOptions, describe: (modelId: string) => ModelInfo) {
    this.results = new LiveTranslator(requestId, options, describe);
  }

  translate(m: ServerMessage): object[] {
    return this.results.translate(m);
  }

  receive(message: unknown, session: Session, reply: (frame: object) => void): void {
    if (message instanceof Uint8Array) {
      this.results.heard(message);
      return session.handleBinary(message);
    }
    const type = (message as { type?: unknown } | null)?.type;
    const control = typeof type === 'string' ? CONTROL[type] : undefined;
    if (control) return session.handleText({ type: control });
    const what = typeof message === 'string' ? `text frames must be JSON; got ${JSON.stringify(message.slice(0, 40))}` : `unknown message type ${JSON.stringify(type)}`;
    for (const f of this.results.translate({ type: 'error', code: 'INVALID_MESSAGE', message: `${what}; expected KeepAlive, Finalize or CloseStream (audio goes in binary frames)` })) reply(f);
  }

  /** Deepgram closes an idle socket with 1011 NET-0001; voxlog's session ends it normally. */
  closing(code: number, reason: string, lastError: string | undefined): { code: number; reason: string } {
    return { code: reason === 'idle_timeout' ? 1011 : code, reason: closeReason(code, reason, lastError) };
  }
}

export const deepgramLive = (deps: TranscribeDeps, describe: (modelId: string) => ModelInfo) =>
  vendorSocket(deps, {
    name: 'deepgram',
    path: '/v1/listen',
    // A bad query fails the handshake (400), as Deepgram's does: what Deepgram's names mean, then what
    // voxlog's session makes of them (a sample rate out of range, a language tag), all before the upgrade.
    parse: (q) => {
      const parsed = parseListenQuery(q, deps.registry.catalog);
      return 'error' in parsed ? parsed : { native: parsed.native, keep: parsed.options };
    },
    connect: (options: ListenOptions, session: SessionOptions) => new ListenConnection(session.sessionId, options, describe),
  });
