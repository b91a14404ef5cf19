import { openSocket } from '../api';
import type { ServerMessage } from '../types';

export interface LiveOptions {
  readonly model: string;
  readonly encoding: 'pcm16' | 'float32';
  readonly sampleRate: number;
  /** A dictation item: the session is scored as an attempt at it when it closes (such a session cannot resume). */
  readonly itemId?: string;
  /** Keep the session's audio on the server, to play it back with its transcript (`record=true`). */
  readonly record?: boolean;
}

export type LinkState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'open'; readonly sessionId: string; readonly resumed: boolean }
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly why: string }
  | { readonly kind: 'closed'; readonly why: string | null };

export interface LiveHandlers {
  readonly onMessage: (m: ServerMessage) => void;
  readonly onState: (s: LinkState) => void;
}

// Closes that mean the connection, not the request, failed: worth reconnecting and resuming.
const TRANSIENT = new Set([1001, 1005, 1006, 1011, 1012, 1013]);
const MAX_RECONNECTS = 8;
/** Audio kept while reconnecting (10 s of 100 ms frames); older frames are dropped first. */
const MAX_HELD_FRAMES = 100;

/**
 * One live transcription over /ws/transcribe that survives a lost connection: it reconnects with
 * `session_id` (the server resumes the session where its log left it) and sends the audio it held meanwhile.
 */
export class LiveConnection {
  private ws: WebSocket | null = null;
  private sessionId: string | null = null;
  /** `ready` came on the current socket: until then frames are held, so those held across a reconnect go first. */
  private ready = false;
  private model: string;
  private held: (ArrayBuffer | string)[] = [];
  private finishing = false;
  private reconnects = 0;
  private lastError: string | null = null;
  private closedWaiters: (() => void)[] = [];

  constructor(
    private readonly o: LiveOptions,
    private readonly h: LiveHandlers,
  ) {
    this.model = o.model;
    this.connect();
  }

  send(frame: ArrayBuffer | string): void {
    if (this.ready && this.ws?.readyState === WebSocket.OPEN) return this.ws.send(frame);
    this.held.push(frame);
    if (this.held.length > MAX_HELD_FRAMES) this.held.shift();
  }

  /** Switches the model mid-stream (the protocol's `config` message). */
  switchModel(model: string): void {
    this.model = model;
    this.send(JSON.stringify({ type: 'config', model_id: model }));
  }

  /** Flushes everything, waits for the server's summary, and closes. */
  finish(): Promise<void> {
    this.finishing = true;
    if (this.ws?.readyState !== WebSocket.OPEN) {
      this.ws?.close();
      this.h.onState({ kind: 'closed', why: null });
      return Promise.resolve();
    }
    this.ws.send(JSON.stringify({ type: 'close' }));
    return new Promise((resolve) => {
      this.closedWaiters.push(resolve);
      setTimeout(() => this.ws?.close(), 10_000);
    });
  }

  private connect(): void {
    const resume = this.sessionId !== null;
    const ws = openSocket('/ws/transcribe', {
      model: this.model,
      encoding: this.o.encoding,
      sample_rate: this.o.sampleRate,
      session_id: this.sessionId ?? undefined,
      item_id: resume ? undefined : this.o.itemId,
      // A resume carries on the recording its session began (the server knows it).
      record: !resume && this.o.record ? 'true' : undefined,
    });
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.ready = false;
    this.h.onState({ kind: 'connecting' });
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as ServerMessage;
      if (m.type === 'ready') {
        this.sessionId = m.session_id;
        this.ready = true;
        this.reconnects = 0;
        this.lastError = null;
        this.h.onState({ kind: 'open', sessionId: m.session_id, resumed: m.resumed });
        for (const frame of this.held.splice(0)) ws.send(frame);
      }
      if (m.type === 'error') this.lastError = m.message;
      this.h.onMessage(m);
    };
    ws.onclose = (e) => this.closed(e.code, e.reason);
  }

  private closed(code: number, reason: string): void {
    this.ready = false;
    const canResume = this.sessionId !== null && this.o.itemId === undefined;
    const retry = !this.finishing && TRANSIENT.has(code) && this.reconnects < MAX_RECONNECTS && (canResume || this.sessionId === null);
    if (retry) {
      this.reconnects += 1;
      this.h.onState({ kind: 'reconnecting', attempt: this.reconnects, why: this.lastError ?? (reason || `connection closed (code ${code})`) });
      setTimeout(() => this.connect(), Math.min(5_000, 250 * 2 ** this.reconnects));
      return;
    }
    const why = this.finishing || code === 1000 ? null : (this.lastError ?? (reason || `the connection closed (code ${code})`));
    this.h.onState({ kind: 'closed', why });
    for (const w of this.closedWaiters.splice(0)) w();
  }
}
