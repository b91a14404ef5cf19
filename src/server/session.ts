import { createActor, fromPromise, type Actor } from 'xstate';
import { sessionMachine } from '../../actors/session.machine';
import { sessionStream } from '../../events/ids';
import type { EventStore } from '../../events/store';
import { event, type VoxEvent } from '../../events/types';
import { AudioDecoder, type Encoding } from '../audio/codecs';
import type { Engine } from '../engine/engine';
import type { StreamEvent } from '../engine/protocol';
import { VoxError } from '../errors';
import { CloseCode, parseClientMessage, type ServerMessage } from './protocol';

/** The socket as a session sees it: it can send a message and close; nothing else. */
export interface SessionSocket {
  send(message: ServerMessage): void;
  close(code: number, reason: string): void;
}

export interface SessionDeps {
  readonly acquire: (modelId: string) => Promise<Engine>;
  readonly store: EventStore;
  readonly socket: SessionSocket;
  readonly now?: () => number;
}

export interface SessionOptions {
  readonly sessionId: string;
  readonly modelId: string;
  readonly encoding: Encoding;
  readonly sampleRate: number;
  /** BCP 47 tag the client declared, if any (recorded; the test models are English-only). */
  readonly language: string | null;
  readonly idleMs: number;
  readonly maxFrameBytes: number;
}

/** Error codes that mean the client asked for something wrong, not that the server failed. */
const CLIENT_FAULTS: Record<string, number> = { unknown_model: CloseCode.policyViolation, unsupported_model: CloseCode.policyViolation };
/** Idle-timer resets are sent at most this often while audio flows (frames never enter the mailbox). */
const ACTIVITY_EVERY_MS = 1000;

/** Runs one WebSocket session: decodes audio on the hot path, drives the session actor, orders log-then-send. */
export class Session {
  private readonly actor: Actor<typeof sessionMachine>;
  private readonly decoder: AudioDecoder;
  private readonly now: () => number;
  private readonly openedAt: number;
  private engine: Engine | undefined;
  private seq = 0;
  private readonly arrivals = new Map<number, number>();
  private held: Uint8Array[] = [];
  private outbox: Promise<void> = Promise.resolve();
  private lastActivity = 0;
  private resolveDone!: () => void;
  /** Settles when the session has ended and everything it logged and sent is out. */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));

  constructor(
    private readonly deps: SessionDeps,
    readonly options: SessionOptions,
  ) {
    this.now = deps.now ?? (() => performance.now());
    this.openedAt = this.now();
    this.decoder = new AudioDecoder(options.encoding);
    this.actor = createActor(this.machine(), { input: { sessionId: options.sessionId, modelId: options.modelId, idleMs: options.idleMs } });
    this.actor.subscribe({
      next: (s) => s.status === 'done' && this.outbox.then(this.resolveDone),
      error: (err) => {
        console.error(`session ${options.sessionId} failed:`, err);
        this.deps.socket.close(CloseCode.internalError, 'internal error');
        this.resolveDone();
      },
    });
    this.actor.start();
  }

  get id(): string {
    return this.options.sessionId;
  }

  get state(): string {
    return String(this.actor.getSnapshot().value);
  }

  /** A text frame, as Elysia parsed it. */
  handleText(raw: unknown): void {
    const parsed = parseClientMessage(raw);
    if (!parsed.ok) return this.sendError(parsed.code, parsed.message);
    switch (parsed.message.type) {
      case 'finalize':
        return void this.actor.send({ type: 'FINALIZE' });
      case 'keepalive':
        return void this.actor.send({ type: 'KEEPALIVE' });
      case 'close':
        return void this.actor.send({ type: 'CLOSE' });
      case 'config':
        return this.sendError('unsupported_config', 'changing model or format mid-session is not supported yet; reconnect with the new query parameters');
      default: {
        const never: never = parsed.message;
        return this.sendError('unknown_message_type', `unhandled ${JSON.stringify(never)}`);
      }
    }
  }

  /** A binary frame of audio in the session's encoding: the hot path. */
  handleBinary(frame: Uint8Array): void {
    if (frame.length > this.options.maxFrameBytes) {
      return void this.actor.send({
        type: 'FATAL',
        code: 'frame_too_large',
        message: `audio frame of ${frame.length} bytes exceeds the limit of ${this.options.maxFrameBytes}`,
        closeCode: CloseCode.tooBig,
      });
    }
    const state = this.state;
    if (state === 'acquiring') return void this.held.push(frame.slice());
    if (state !== 'streaming') return this.sendError('session_closing', 'audio after close is ignored');
    this.feed(frame);
  }

  socketGone(): void {
    this.actor.send({ type: 'SOCKET_GONE' });
  }

  /** Ends the session from the server side (shutdown): flushes and logs like a client close. */
  shutdown(): Promise<void> {
    this.actor.send({ type: 'FATAL', code: 'server_shutdown', message: 'the server is shutting down', closeCode: 1001 });
    return this.done;
  }

  private feed(frame: Uint8Array): void {
    const samples = this.decoder.decode(frame);
    if (samples.length === 0) return;
    const seq = this.nextSeq();
    this.engine!.feed(this.id, seq, samples, this.options.sampleRate);
    const t = this.now();
    if (t - this.lastActivity >= ACTIVITY_EVERY_MS) {
      this.lastActivity = t;
      this.actor.send({ type: 'ACTIVITY' });
    }
  }

  private nextSeq(): number {
    this.seq += 1;
    this.arrivals.set(this.seq, this.now());
    return this.seq;
  }

  /** Time since the frame (or control message) `seq` arrived; forgets older arrivals. */
  private latencyOf(seq: number): number {
    const at = this.arrivals.get(seq);
    for (const k of this.arrivals.keys()) {
      if (k >= seq) break;
      this.arrivals.delete(k);
    }
    return at === undefined ? 0 : Math.max(0, Math.round(this.now() - at));
  }

  private onStreamEvent(e: StreamEvent): void {
    switch (e.type) {
      case 'partial':
        return void this.actor.send({ type: 'PARTIAL', text: e.text, startMs: e.startMs, endMs: e.endMs, latencyMs: this.latencyOf(e.seq) });
      case 'final':
        return void this.actor.send({ type: 'FINAL', text: e.text, startMs: e.startMs, endMs: e.endMs, words: e.words, reason: e.reason, latencyMs: this.latencyOf(e.seq) });
      case 'closed':
        return void this.actor.send({ type: 'STREAM_CLOSED', audioMs: e.audioMs });
      case 'stream_error':
        return void this.actor.send({ type: 'ENGINE_ERROR', code: 'stream_error', message: e.message });
      case 'engine_crashed':
        return void this.actor.send({ type: 'ENGINE_ERROR', code: 'engine_crashed', message: `the model's worker crashed and is restarting; audio in flight may be lost (${e.message})` });
      default: {
        const never: never = e;
        console.error('unknown stream event', never);
      }
    }
  }

  /** Appends `events` and, once they are committed, sends `message`: what a client sees, the log has. */
  private emit(events: readonly VoxEvent[], message?: ServerMessage, expectedVersion?: 'no_stream'): Promise<void> {
    this.outbox = this.outbox
      .then(async () => {
        if (events.length > 0) await this.deps.store.append(sessionStream(this.id), events, { expectedVersion });
        if (message) this.deps.socket.send(message);
      })
      .catch((err) => {
        console.error(`session ${this.id}: could not log ${events.map((e) => e.type).join(', ')}:`, err);
        this.deps.socket.send({ type: 'error', code: 'log_write_failed', message: 'a result could not be recorded and was not delivered' });
      });
    return this.outbox;
  }

  private sendError(code: string, message: string): void {
    void this.emit([], { type: 'error', code, message });
  }

  private machine() {
    const o = this.options;
    const id = o.sessionId;
    return sessionMachine.provide({
      actors: {
        acquireEngine: fromPromise(async ({ input }) => {
          this.engine = await this.deps.acquire(input.modelId);
        }),
      },
      actions: {
        opened: () => {
          this.engine!.open(id, 0, (e) => this.onStreamEvent(e));
          const opened = event('SessionOpened', { session_id: id, model_id: o.modelId, encoding: o.encoding, sample_rate: o.sampleRate, user_id: null, language: o.language });
          void this.emit([opened], { type: 'ready', session_id: id, model_id: o.modelId, encoding: o.encoding, sample_rate: o.sampleRate, max_frame_bytes: o.maxFrameBytes }, 'no_stream');
          const held = this.held;
          this.held = [];
          for (const frame of held) this.feed(frame);
        },
        rejected: (_, { error }) => {
          const code = error instanceof VoxError ? error.code : 'engine_unavailable';
          const message = error instanceof Error ? error.message : String(error);
          this.sendError(code, message);
          void this.outbox.then(() => this.deps.socket.close(CLIENT_FAULTS[code] ?? CloseCode.internalError, code));
        },
        emitPartial: (_, r) => {
          const data = { session_id: id, segment: r.segment, text: r.text, start_ms: r.startMs, end_ms: r.endMs, model_id: o.modelId };
          void this.emit([event('PartialTranscribed', data)], { type: 'partial', is_final: false, ...result(r, o.modelId) });
        },
        emitFinal: (_, r) => {
          const reason = r.reason as 'endpoint' | 'finalize' | 'close';
          const data = { session_id: id, segment: r.segment, text: r.text, start_ms: r.startMs, end_ms: r.endMs, words: [...r.words], latency_ms: r.latencyMs, model_id: o.modelId, reason };
          void this.emit([event('SegmentFinalized', data)], { type: 'final', is_final: true, ...result(r, o.modelId), words: r.words });
        },
        sendError: (_, { code, message }) => this.sendError(code, message),
        finalizeStream: () => this.engine!.finalize(id, this.nextSeq()),
        closeStream: () => {
          if (this.decoder.pendingBytes > 0) {
            this.sendError('incomplete_sample', `${this.decoder.pendingBytes} byte(s) of an incomplete ${o.encoding} sample were left at close and dropped`);
          }
          this.engine!.close(id, this.nextSeq());
        },
        finish: ({ context }) => {
          const reason = context.closeReason ?? 'client_close';
          const duration = Math.round(this.now() - this.openedAt);
          const closed = event('SessionClosed', { session_id: id, reason, audio_ms: context.audioMs, segments: context.segment, partials: context.partials, duration_ms: duration });
          void this.emit([closed], { type: 'closed', session_id: id, reason, audio_ms: context.audioMs, segments: context.segment, duration_ms: duration }).then(() =>
            this.deps.socket.close(context.closeCode, reason.slice(0, 120)),
          );
        },
      },
    });
  }
}

const result = (r: { text: string; segment: number; startMs: number; endMs: number; latencyMs: number }, modelId: string) => ({
  text: r.text,
  segment: r.segment,
  start_ms: r.startMs,
  end_ms: r.endMs,
  latency_ms: r.latencyMs,
  model_id: modelId,
});
