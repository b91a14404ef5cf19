import type { ServerMessage } from '../server/protocol';
import { frames } from '../audio/frames';
import { command } from '../program';

export interface StreamOptions {
  /** ws:// (or wss://) URL of /ws/transcribe including its query string. */
  readonly url: string;
  /** Audio bytes in the encoding the URL declares: all at once, or as they are read. */
  readonly audio: Uint8Array | AsyncIterable<Uint8Array>;
  /** Bytes per frame. */
  readonly frameBytes: number;
  /** Milliseconds to wait between frames (0: as fast as the socket takes them). */
  readonly intervalMs?: number;
  /** Called for every message as it arrives. */
  readonly onMessage?: (m: ServerMessage, atMs: number) => void;
  /** Send `{"type":"close"}` after the audio (default true); otherwise leave the socket open. */
  readonly closeAtEnd?: boolean;
  /** Never send faster than this many audio bytes per second (after the first `paceAfterBytes`). */
  readonly paceBytesPerSecond?: number;
  readonly paceAfterBytes?: number;
  /** A JWT or API key, sent as `Authorization: Bearer`. */
  readonly token?: string;
  /** A PEM certificate to trust for wss:// (a server with a self-signed one). */
  readonly ca?: string;
}

export interface StreamOutcome {
  readonly messages: ServerMessage[];
  readonly closeCode: number;
  readonly closeReason: string;
}

/** Streams audio to voxlog like a live client and collects every message until the socket closes. */
export function streamAudio(o: StreamOptions): Promise<StreamOutcome> {
  return new Promise((resolve, reject) => {
    const messages: ServerMessage[] = [];
    const init = { ...(o.token ? { headers: { authorization: `Bearer ${o.token}` } } : {}), ...(o.ca ? { tls: { ca: o.ca } } : {}) };
    const ws = Object.keys(init).length > 0 ? new WebSocket(o.url, init as unknown as string[]) : new WebSocket(o.url);
    ws.binaryType = 'arraybuffer';
    const t0 = performance.now();
    let opened = false;
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as ServerMessage;
      messages.push(m);
      o.onMessage?.(m, performance.now() - t0);
    };
    // A socket that never opened fails with an error event, a close event or both: say why once.
    const neverOpened = () => void whyNoConnection(o.url, o.token).then((why) => reject(why));
    ws.onerror = () => (opened ? reject(new Error(`WebSocket error talking to ${o.url}`)) : neverOpened());
    ws.onclose = (e) => (opened ? resolve({ messages, closeCode: e.code, closeReason: e.reason }) : neverOpened());
    ws.onopen = async () => {
      opened = true;
      try {
        let sent = 0;
        const started = performance.now();
        for await (const frame of frames(o.audio, o.frameBytes)) {
          if (ws.readyState !== WebSocket.OPEN) return;
          ws.send(frame as Uint8Array<ArrayBuffer>);
          sent += frame.length;
          if (o.intervalMs) await Bun.sleep(o.intervalMs);
          if (o.paceBytesPerSecond) {
            // Stay under the server's intake limit: a burst first, then no faster than the pace.
            const due = started + (Math.max(0, sent - (o.paceAfterBytes ?? 0)) / o.paceBytesPerSecond) * 1000;
            if (due > performance.now()) await Bun.sleep(due - performance.now());
          }
        }
      } catch (err) {
        ws.close(1000, 'client could not read its audio');
        return reject(err);
      }
      if (o.closeAtEnd !== false && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'close' }));
    };
  });
}

/** A session the server would not open; `status` is its HTTP answer to the upgrade (401 sign in, 429 too many sockets...), when it gave one. */
export class ConnectionError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Says why a socket would not open: nothing listening (connection refused) or a refused upgrade. */
async function whyNoConnection(url: string, token: string | undefined): Promise<ConnectionError> {
  const u = new URL(url);
  // Ask over plain HTTP: the refusal's status and JSON error say why (401 sign in, 429 too many sockets...).
  try {
    const res = await fetch(url.replace(/^ws/, 'http'), { headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'dm94bG9nIHByb2JlIGtleQ==', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    if (body?.error?.message) return new ConnectionError(`the server at ${u.host} refused the session (${res.status}): ${body.error.message}`, res.status);
  } catch {
    // Fall through to the connection check below.
  }
  const port = Number(u.port || (u.protocol === 'wss:' ? 443 : 80));
  try {
    const socket = await Bun.connect({ hostname: u.hostname, port, socket: { data() {} } });
    socket.end();
    return new ConnectionError(`the server at ${u.host} refused the WebSocket upgrade for ${u.pathname} (is it a voxlog server?)`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ECONNREFUSED') return new ConnectionError(`connection refused: no server is listening at ${u.host} (start one with: ${command('start')})`);
    return new ConnectionError(`cannot connect to ${u.host}: ${(err as Error).message}`);
  }
}

/** The messages of one type among those received, typed. */
export const ofType = <T extends ServerMessage['type']>(messages: readonly ServerMessage[], type: T) =>
  messages.filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type);

/** The finals among the messages received. */
export const finals = (messages: readonly ServerMessage[]) => ofType(messages, 'final');
