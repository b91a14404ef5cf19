import type { ServerMessage } from '../server/protocol';

export interface StreamOptions {
  /** ws:// URL of /ws/transcribe including its query string. */
  readonly url: string;
  /** Audio bytes in the encoding the URL declares. */
  readonly audio: Uint8Array<ArrayBuffer>;
  /** Bytes per frame. */
  readonly frameBytes: number;
  /** Milliseconds to wait between frames (0: as fast as the socket takes them). */
  readonly intervalMs?: number;
  /** Called for every message as it arrives. */
  readonly onMessage?: (m: ServerMessage, atMs: number) => void;
  /** Send `{"type":"close"}` after the audio (default true); otherwise leave the socket open. */
  readonly closeAtEnd?: boolean;
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
    const ws = new WebSocket(o.url);
    ws.binaryType = 'arraybuffer';
    const t0 = performance.now();
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as ServerMessage;
      messages.push(m);
      o.onMessage?.(m, performance.now() - t0);
    };
    ws.onerror = () => reject(new Error(`WebSocket error talking to ${o.url}`));
    ws.onclose = (e) => resolve({ messages, closeCode: e.code, closeReason: e.reason });
    ws.onopen = async () => {
      for (let at = 0; at < o.audio.length; at += o.frameBytes) {
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.send(o.audio.subarray(at, at + o.frameBytes));
        if (o.intervalMs) await Bun.sleep(o.intervalMs);
      }
      if (o.closeAtEnd !== false && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'close' }));
    };
  });
}

/** The messages of one type among those received, typed. */
export const ofType = <T extends ServerMessage['type']>(messages: readonly ServerMessage[], type: T) =>
  messages.filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type);

/** The finals among the messages received. */
export const finals = (messages: readonly ServerMessage[]) => ofType(messages, 'final');
