// What every WebSocket protocol the server speaks shares: the per-address socket limit, a Bun
// socket as a session's bounded way out, and starting a tracked session. The native protocol
// (ws.ts) and the adapters (src/protocols/) are thin layers over these.
import type { ElysiaWS } from 'elysia/ws';
import { offeredProtocol } from '../auth/authenticator';
import type { Principal } from '../auth/principal';
import { RateLimitedError } from '../errors';
import { CloseCode } from './protocol';
import { Session, type SessionObserver, type SessionOptions, type SessionSocket } from './session';
import type { TranscribeDeps } from './ws';

/** Open sockets per client address, across every WebSocket route. */
export class SocketsPerIp {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Throws (429) when `ip` already holds the most sockets allowed. */
  check(ip: string, onRejected?: (reason: string) => void): void {
    if ((this.open.get(ip) ?? 0) < this.max) return;
    onRejected?.('sockets_per_ip');
    throw new RateLimitedError(`${ip} already has ${this.max} open sockets (VOXLOG_MAX_SOCKETS_PER_IP)`, 5, 'too_many_connections');
  }

  add(ip: string): void {
    this.open.set(ip, (this.open.get(ip) ?? 0) + 1);
  }

  /** A WebSocket route's `beforeHandle`: refuses the upgrade (429) when the caller's address is full. */
  checkUpgrade(request: Request, server: { requestIP(r: Request): { address: string } | null } | null, onRejected?: (reason: string) => void): void {
    this.check(server?.requestIP(request)?.address ?? 'unknown', onRejected);
  }

  /** Counts an opened WebSocket; its address is kept on it, since it cannot be read once the socket has closed. */
  opened(ws: AnyWs): void {
    (ws.data as { ip?: string }).ip = ws.raw.remoteAddress;
    this.add(ws.raw.remoteAddress);
  }

  /** Stops counting a WebSocket counted by `opened`. */
  closed(ws: AnyWs): void {
    const ip = (ws.data as { ip?: string }).ip;
    if (ip !== undefined) this.remove(ip);
  }

  remove(ip: string): void {
    const n = (this.open.get(ip) ?? 1) - 1;
    if (n <= 0) this.open.delete(ip);
    else this.open.set(ip, n);
  }
}

/** A browser that offered `token, <credential>` fails the handshake unless the scheme is echoed back. */
export function echoProtocol(request: Request, set: { headers: Record<string, string | number> }): void {
  const offered = offeredProtocol(request.headers.get('sec-websocket-protocol'));
  if (offered) set.headers['sec-websocket-protocol'] = offered.scheme;
}

/**
 * How long a deliberate close waits for the client's answer before the connection is cut, in seconds.
 * On a WebSocket it is the server's idle timeout: once Bun has sent a close frame it reads the socket
 * until the client answers and `terminate()` no longer works, so its idle timer is what ends a client
 * that never answers (4 s is its granularity: the cut comes 4 to 8 s after the close).
 */
export const CLOSE_WAIT_S = 4;

/** Flow control Bun's ServerWebSocket has (1.4.5) but the type Elysia exposes does not declare. */
interface Flow {
  getBufferedAmount(): number;
  pause(): void;
  resume(): void;
}

/** A session's socket in terms of text frames, whatever protocol its messages are translated to. */
export interface Outlet extends Omit<SessionSocket, 'send'> {
  text(frame: string): void;
}

// biome-ignore lint: Elysia's socket type carries the route's whole context; only its raw socket is used.
type AnyWs = ElysiaWS<any, any>;

/**
 * `ws` as a way out: a client that does not read is cut after `graceMs` over the outbound bound
 * (`onSlow`). A session the server ends has stopped reading already (Session.fatal). A client that is not reading what it is sent
 * cannot read a close frame either, and one still sending cannot be stopped once a close frame is out
 * (Bun then reads until the client answers, and `terminate()` no longer works): both are destroyed
 * instead, after the messages that say why.
 */
export function wsOutlet(ws: AnyWs, deps: Pick<TranscribeDeps, 'limits'>, onSlow: () => void): Outlet {
  let slowSince: number | undefined;
  let cutOff = false;
  const raw = ws.raw as unknown as Flow & { readyState: number; terminate(): void };
  return {
    text: (frame) => {
      if (raw.readyState !== 1) return;
      ws.send(frame);
      if (raw.getBufferedAmount() <= deps.limits.maxOutboundBytes) return void (slowSince = undefined);
      const now = performance.now();
      slowSince ??= now;
      if (now - slowSince >= deps.limits.graceMs && !cutOff) (cutOff = true), onSlow();
    },
    close: (code, reason, abrupt = false) => {
      if (raw.readyState !== 1) return;
      if (abrupt || cutOff || raw.getBufferedAmount() > 0) raw.terminate();
      else ws.close(code, reason);
    },
    pause: () => raw.readyState === 1 && raw.pause(),
    resume: () => raw.readyState === 1 && raw.resume(),
  };
}

/**
 * One socket read on behalf of several sessions (a Twilio call's tracks): it is paused while any of
 * them wants it paused, and read again only when none does. Returns a pair of controls per session.
 */
export function sharedFlow(flow: Pick<Outlet, 'pause' | 'resume'>): () => Pick<SessionSocket, 'pause' | 'resume'> {
  const pausing = new Set<object>();
  return () => {
    const me = {};
    return {
      pause: () => {
        if (pausing.size === 0) flow.pause();
        pausing.add(me);
      },
      resume: () => {
        if (pausing.delete(me) && pausing.size === 0) flow.resume();
      },
    };
  };
}

/** Ends a session whose client stopped reading (its outlet's `onSlow`). */
export const cutSlowConsumer = (deps: TranscribeDeps, key: string) => () => {
  deps.onRejected?.('slow_consumer');
  void deps.sessions
    .get(key)
    ?.end('slow_consumer', `more than ${deps.limits.maxOutboundBytes} bytes queued for this client for ${deps.limits.graceMs} ms; it is not reading`, CloseCode.policyViolation);
};

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

/** Starts a session on `socket`, tracked under `key` (so shutdown drains it) until it ends. */
export function runSession(deps: TranscribeDeps, key: string, socket: SessionSocket, options: SessionOptions, caller: Principal): Session {
  const session = new Session({ acquire: (id) => deps.registry.acquire(id), store: deps.store, socket, onRejected: deps.onRejected, observe: observer(deps) }, options);
  deps.sessions.set(key, session);
  deps.credentials?.track(session, caller);
  const { practice } = options;
  void session.done.then(() => {
    deps.sessions.delete(key);
    if (practice) deps.practice?.score(caller, practice.itemId, practice.attemptId, session.id);
  });
  return session;
}
