// What every vendor WebSocket adapter shares: its query read at the handshake (a bad one fails it, 400,
// before the upgrade), a voxlog session under it, and a per-connection translator between the two.
import { Elysia } from 'elysia';
import { callerOf } from '../auth/principal';
import { ValidationError } from '../errors';
import { cutSlowConsumer, echoProtocol, runSession, wsOutlet, type Outlet } from '../server/host';
import type { ServerMessage, SessionProtocol } from '../server/protocol';
import type { Session, SessionOptions, SessionSocket } from '../server/session';
import { sessionOptionsFrom, type TranscribeDeps } from '../server/ws';

export type Query = Record<string, string | undefined>;

/** One client's side of a vendor protocol. */
export interface Translator {
  /** Frames the client gets as the socket opens, before any session message (Begin, Connected). */
  greeting?(): readonly object[];
  /** A session message as the frames this protocol sends for it (often none). */
  translate(m: ServerMessage): readonly (object | string)[];
  /** A frame from the client (binary audio, or a text frame as Elysia parsed it); `reply` sends a frame back. */
  receive(message: unknown, session: Session, reply: (frame: object) => void): void;
  /** The close code and reason this protocol gives for voxlog's (`lastError`: the last error message sent). */
  closing?(code: number, reason: string, lastError: string | undefined): { code: number; reason: string };
}

export interface VendorProtocol<K> {
  /** What voxlog records the sessions as (`?protocol=` in the views). */
  readonly name: Exclude<SessionProtocol, 'voxlog'>;
  readonly path: string;
  /** The handshake's query as voxlog's session query, and what the translator keeps; or what is wrong. */
  parse(query: Query, request: Request): { native: Query; keep: K } | { error: string };
  connect(keep: K, session: SessionOptions): Translator;
}

/** A WebSocket route that runs `protocol` over voxlog sessions. */
export function vendorSocket<K>(deps: TranscribeDeps, protocol: VendorProtocol<K>) {
  /** The query as the handshake read it, for the socket it opens (the same Request reaches `open`). */
  const parsedFor = new WeakMap<Request, { keep: K; session: SessionOptions }>();
  const attached = new WeakMap<object, { translator: Translator; frame: (f: object | string) => void }>();
  return new Elysia({ name: `protocol-${protocol.name}` }).ws(protocol.path, {
    upgrade({ request, set }) {
      echoProtocol(request, set);
    },
    beforeHandle({ request, server, query }) {
      deps.sockets.checkUpgrade(request, server, deps.onRejected);
      const parsed = protocol.parse(query as Query, request);
      if ('error' in parsed) throw new ValidationError(parsed.error, 'Bad Request');
      const session = sessionOptionsFrom(parsed.native, deps, callerOf(request));
      if ('code' in session) throw new ValidationError(session.message, 'Bad Request');
      parsedFor.set(request, { keep: parsed.keep, session });
    },
    open(ws) {
      deps.sockets.opened(ws);
      const { keep, session: options } = parsedFor.get(ws.data.request)!;
      const translator = protocol.connect(keep, options);
      const outlet: Outlet = wsOutlet(ws, deps, cutSlowConsumer(deps, ws.id));
      const frame = (f: object | string) => outlet.text(typeof f === 'string' ? f : JSON.stringify(f));
      attached.set(ws.data, { translator, frame });
      for (const f of translator.greeting?.() ?? []) frame(f);
      let lastError: string | undefined;
      const socket: SessionSocket = {
        ...outlet,
        send: (m) => {
          if (m.type === 'error') lastError = m.message;
          for (const f of translator.translate(m)) frame(f);
        },
        close: (code, reason, abrupt) => {
          const said = translator.closing?.(code, reason, lastError) ?? { code, reason };
          outlet.close(said.code, said.reason, abrupt);
        },
      };
      runSession(deps, ws.id, socket, { ...options, origin: { protocol: protocol.name } }, callerOf(ws.data.request));
    },
    message(ws, message) {
      const session = deps.sessions.get(ws.id);
      const connection = attached.get(ws.data);
      if (!session || !connection) return;
      connection.translator.receive(message, session, connection.frame);
    },
    close(ws) {
      deps.sockets.closed(ws);
      deps.sessions.get(ws.id)?.socketGone();
    },
  });
}

/** A query flag spelled true or false (absent: `fallback`), or what is wrong with it. */
export function queryFlag(q: Query, name: string, fallback: boolean): boolean | { error: string } {
  const v = q[name];
  if (v === undefined || v === '') return fallback;
  if (v === 'true' || v === 'false') return v === 'true';
  return { error: `${name} must be true or false` };
}

/** The numeric fields of a client's JSON message, spelled as a query, so the query's validators check them too. */
export function numbersAsQuery(message: Record<string, unknown>): Query {
  return Object.fromEntries(Object.entries(message).flatMap(([k, v]) => (typeof v === 'number' ? [[k, String(v)]] : [])));
}

/** A query number within [min, max] (absent: `fallback`), or what is wrong with it. */
export function queryNumber(q: Query, name: string, fallback: number, min: number, max: number, integer = false): number | { error: string } {
  const v = q[name];
  if (v === undefined || v === '') return fallback;
  const n = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) return { error: `${name}=${JSON.stringify(v)} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}` };
  return n;
}
