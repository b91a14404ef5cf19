import { createActor, fromPromise, type Actor } from 'xstate';
import { sessionMachine } from '../../actors/session.machine';
import { sessionStream } from '../../events/ids';
import type { EventStore } from '../../events/store';
import { event, type EventOf } from '../../events/types';
import { AudioDecoder, BYTES_PER_SAMPLE } from '../audio/codecs';
import type { Limits } from '../config';
import { IntakeBudget } from '../limits/intake';
import { SessionRecording } from './recording';
import type { SessionSummary } from '../ops/logs';
import type { Engine } from '../engine/engine';
import type { StreamEvent } from '../engine/protocol';
import { VoxError } from '../errors';
import { Arrivals } from './arrivals';
import { Outbox } from './outbox';
import { closedOut, finalOut, partialOut, speechStartedOut, switchedOut, utteranceEndOut, type Outgoing } from './session-messages';
import { CloseCode, parseClientMessage, type ServerMessage, type SessionProtocol } from './protocol';
import { needsNewStream, parseSettings, type AudioSettings } from './settings';

/** The socket as a session sees it: it can send a message and close; nothing else. */
export interface SessionSocket {
  send(message: ServerMessage): void;
  /**
   * `abrupt`: the client went on sending after the session began to end (a flooder, most likely), so
   * the connection is destroyed rather than left to a close handshake during which Bun keeps reading it.
   */
  close(code: number, reason: string, abrupt?: boolean): void;
  /** Stop reading from the client (TCP backpressure) and start again. */
  pause(): void;
  resume(): void;
}

export interface SessionDeps {
  readonly acquire: (modelId: string) => Promise<Engine>;
  readonly store: Pick<EventStore, 'append'>;
  readonly socket: SessionSocket;
  readonly now?: () => number;
  /** Counts what was refused, by reason (for /metrics). */
  readonly onRejected?: (reason: string) => void;
  readonly observe?: SessionObserver;
}

/** What operations watch of a session: frames, result latencies, and its end. */
export interface SessionObserver {
  frame(): void;
  partial(latencyMs: number): void;
  final(latencyMs: number): void;
  ended(summary: SessionSummary): void;
}

/** Where a reconnecting client's session continues, read from its log. */
export interface ResumePoint {
  readonly nextSegment: number;
  readonly atMs: number;
  /** The stream version the resume must append at (guards against two resumes at once). */
  readonly version: number;
}

export interface SessionOptions {
  readonly sessionId: string;
  readonly modelId: string;
  readonly settings: AudioSettings;
  /** BCP 47 tag the client declared, if any (recorded; the test models are English-only). */
  readonly language: string | null;
  readonly idleMs: number;
  readonly maxFrameBytes: number;
  readonly limits: Limits;
  /** The user the session belongs to (null when auth is off). */
  readonly owner: string | null;
  readonly resume?: ResumePoint;
  /** A dictation item this session is an attempt at: scored under `attemptId` when it closes. */
  readonly practice?: { readonly itemId: string; readonly attemptId: string };
  /** A client speaking another service's protocol (an adapter): named in SessionOpened, its references on every event. */
  readonly origin?: SessionOrigin;
  /** Where the session's audio is kept, when its client asked for that (`record=true`); see recording.ts. */
  readonly recording?: string;
}

export interface SessionOrigin {
  readonly protocol: Exclude<SessionProtocol, 'voxlog'>;
  /** The client's own ids (Twilio's call_sid, stream_sid and track), copied into every event's metadata. */
  readonly refs?: Readonly<Record<string, string>>;
}

/** Close codes for refusals that are not server faults (those close 1011). */
const CLOSE_CODES: Record<string, number> = {
  unknown_model: CloseCode.policyViolation,
  unsupported_model: CloseCode.policyViolation,
  too_many_models: CloseCode.tryAgainLater,
};
/** Idle-timer resets are sent at most this often while audio flows (frames never enter the mailbox). */
const ACTIVITY_EVERY_MS = 1000;
/** States in which what the client sent waits: the engine stream is not open yet. */
const HOLDING = new Set(['acquiring', 'switching']);
/**
 * Bytes a client may send after the session began to end and still get a close handshake: frames
 * already on their way when it ended (a server-ended session stops reading at once, and what Bun had
 * read by then is at most half this), not the steady stream of a client that does not listen.
 */
export const LATE_BYTES_TOLERATED = 1024 * 1024;
/** The size of a text message as it came (Elysia hands JSON over parsed), for counting late bytes. */
export const textBytes = (raw: unknown): number => (typeof raw === 'string' ? raw.length : (JSON.stringify(raw) ?? '').length);
/** A session paused for its budget or its engine this recently is being sent more than it takes. */
const FLOODING_WITHIN_MS = 1_000;
/** How often waiting messages are retried while the session is paced or the engine is behind. */
const PACE_POLL_MS = 20;

/**
 * What the client sent, in arrival order, until it can be applied: a config splits audio between
 * models, and a close or finalize must not overtake the audio sent before it.
 */
type Inbound = { frame: Uint8Array } | { readonly text: unknown } | { readonly control: 'SOCKET_GONE' };

/** Runs one WebSocket session: decodes audio on the hot path, drives the session actor, orders log-then-send. */
export class Session {
  private readonly actor: Actor<typeof sessionMachine>;
  private decoder: AudioDecoder;
  private settings: AudioSettings;
  private readonly now: () => number;
  private readonly openedAt: number;
  private engine: Engine | undefined;
  /** The model audio goes to now (the actor's snapshot lags behind inside its own actions). */
  private modelId: string;
  /** The engine being switched to, until it takes over. */
  private candidate: Engine | undefined;
  private switchStartedAt = 0;
  private readonly arrivals: Arrivals;
  private readonly outbox: Outbox;
  /** Messages not yet applied, oldest first; while any wait, the socket is not read. */
  private readonly inbox: Inbound[] = [];
  private heldBytes = 0;
  private readonly budget: IntakeBudget;
  private poll: ReturnType<typeof setInterval> | undefined;
  /** The socket is not being read (one pause episode: told and counted once). */
  private paused = false;
  private toldBehind = false;
  /** Bytes the client sent after the session began to end (see SessionSocket.close). */
  private lateBytes = 0;
  /** The server is ending the session: its socket is not read again. */
  private stopped = false;
  /** The client was sending faster than it was taken when the server ended the session (held back by its budget or its engine within the last second). */
  private floodingAtStop = false;
  private lastHeldBackAt = Number.NEGATIVE_INFINITY;
  private lastActivity = 0;
  private readonly recording: SessionRecording | undefined;
  private resolveDone!: () => void;
  /** Settles when the session has ended and everything it logged and sent is out. */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));

  constructor(
    private readonly deps: SessionDeps,
    readonly options: SessionOptions,
  ) {
    this.now = deps.now ?? (() => performance.now());
    this.openedAt = this.now();
    this.arrivals = new Arrivals(this.now);
    const metadata = { ...(options.owner === null ? {} : { user_id: options.owner }), ...(options.origin ? { protocol: options.origin.protocol, ...options.origin.refs } : {}) };
    this.outbox = new Outbox(deps.store, sessionStream(options.sessionId), (m) => deps.socket.send(m), metadata, () =>
      void this.end('log_write_failed', 'the event log cannot store results', CloseCode.internalError),
    );
    this.budget = new IntakeBudget(options.limits, this.now());
    this.settings = options.settings;
    this.modelId = options.modelId;
    this.decoder = new AudioDecoder(options.settings.encoding);
    this.recording = options.recording === undefined ? undefined : new SessionRecording(options.recording);
    const input = {
      sessionId: options.sessionId,
      modelId: options.modelId,
      idleMs: options.idleMs,
      startSegment: options.resume?.nextSegment ?? 0,
      startMs: options.resume?.atMs ?? 0,
    };
    this.actor = createActor(this.machine(), { input });
    this.actor.subscribe({
      next: (s) => s.status === 'done' && (this.stopPoll(), this.recording?.close(), this.outbox.drained().then(this.resolveDone)),
      error: (err) => {
        this.recording?.close();
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
    if (this.ending()) return this.late(textBytes(raw));
    this.receive({ text: raw });
  }

  /** A binary frame of audio in the session's encoding: the hot path. */
  handleBinary(frame: Uint8Array): void {
    if (this.ending()) return this.late(frame.length);
    if (frame.length > this.options.maxFrameBytes) {
      return this.fatal('frame_too_large', `audio frame of ${frame.length} bytes exceeds the limit of ${this.options.maxFrameBytes}`, CloseCode.tooBig);
    }
    this.deps.observe?.frame();
    const item = { frame };
    this.heldBytes += frame.length;
    this.receive(item);
    // The socket's buffer is only lent for the call: a frame that waits keeps its own copy.
    if (this.inbox.at(-1) === item) item.frame = frame.slice();
    if (this.heldBytes > this.options.limits.maxHeldBytes && this.actor.getSnapshot().status === 'active') {
      this.deps.onRejected?.('held_audio_full');
      this.fatal('held_audio_full', `more than ${this.options.limits.maxHeldBytes} bytes of audio arrived while reading from this socket was paused (VOXLOG_MAX_HELD_BYTES): the client does not honour TCP flow control`, CloseCode.policyViolation);
    }
  }

  socketGone(): void {
    // A session that already ended (refused, or closed by the server) has nothing left to flush.
    if (this.actor.getSnapshot().status === 'active') this.receive({ control: 'SOCKET_GONE' });
  }

  /** Whether the session is flushing its last results or has ended: what the client sends now is not read. */
  private ending(): boolean {
    return this.actor.getSnapshot().status !== 'active' || this.state === 'closing';
  }

  /** A message after the session began to end: told once; a client that keeps sending is a flooder. */
  private late(bytes: number): void {
    if (this.lateBytes === 0 && this.actor.getSnapshot().status === 'active') this.sendError('session_closing', 'what is sent after close is ignored');
    this.lateBytes += Math.max(1, bytes);
  }

  /** Whether the connection is to be destroyed rather than closed by handshake (SessionSocket.close). */
  private get abrupt(): boolean {
    return this.floodingAtStop || this.lateBytes > LATE_BYTES_TOLERATED;
  }

  /**
   * The server ends the session (a limit, a fault, a revoked key, shutdown): the socket is not read
   * again; the session flushes what it already took in and closes.
   */
  private fatal(code: string, message: string, closeCode: number): void {
    if (this.actor.getSnapshot().status !== 'active') return;
    if (!this.stopped) {
      this.stopped = true;
      this.floodingAtStop = this.now() - this.lastHeldBackAt < FLOODING_WITHIN_MS;
      this.deps.socket.pause();
    }
    this.actor.send({ type: 'FATAL', code, message, closeCode });
  }

  /** Queues what the client sent behind what is already waiting, and applies what can be applied now. */
  private receive(item: Inbound): void {
    this.inbox.push(item);
    this.pump();
  }

  /**
   * Applies waiting messages in order while the stream is open, the engine keeps up with this
   * session's audio and its intake budget allows. Whatever is left waits with the socket paused:
   * the client feels TCP backpressure and nothing is dropped.
   */
  private pump(): void {
    while (this.inbox.length > 0 && this.actor.getSnapshot().status === 'active') {
      const state = this.state;
      if (HOLDING.has(state)) break;
      const item = this.inbox[0]!;
      if ('control' in item) {
        this.inbox.shift();
        this.actor.send({ type: item.control });
        continue;
      }
      if ('frame' in item && state === 'streaming' && this.engineBehind()) {
        this.tellBehind();
        this.lastHeldBackAt = this.now();
        break;
      }
      const ms = 'frame' in item ? this.frameMs(item.frame) : 0;
      if (!this.budget.take(this.now(), ms)) {
        this.lastHeldBackAt = this.now();
        break;
      }
      this.inbox.shift();
      if ('text' in item) {
        if (this.applyText(item.text)) break;
        continue;
      }
      this.heldBytes -= item.frame.length;
      if (state === 'streaming') this.feed(item.frame);
      else this.sendError('session_closing', 'audio after close is ignored');
    }
    if (this.inbox.length > 0 && this.actor.getSnapshot().status === 'active') this.pause();
    else this.resume();
  }

  private frameMs(frame: Uint8Array): number {
    return (frame.length * 1000) / BYTES_PER_SAMPLE[this.settings.encoding] / this.settings.sampleRate;
  }

  /** A client message; returns whether it started a model switch (what follows waits for it). */
  private applyText(raw: unknown): boolean {
    const parsed = parseClientMessage(raw);
    if (!parsed.ok) return (this.sendError(parsed.code, parsed.message), false);
    switch (parsed.message.type) {
      case 'finalize':
        return (this.actor.send({ type: 'FINALIZE' }), false);
      case 'keepalive':
        return (this.actor.send({ type: 'KEEPALIVE' }), false);
      case 'close':
        return (this.actor.send({ type: 'CLOSE' }), false);
      case 'config':
        if (this.state !== 'streaming') return (this.sendError('session_closing', 'config after close is ignored'), false);
        return this.applyConfig(parsed.message);
      default: {
        const never: never = parsed.message;
        return (this.sendError('unknown_message_type', `unhandled ${JSON.stringify(never)}`), false);
      }
    }
  }

  /** The model is further behind on this session's audio than the bound: new audio waits. */
  private engineBehind(): boolean {
    return this.engine !== undefined && this.engine.backlogMs(this.id) > this.options.limits.maxEngineBacklogMs;
  }

  private tellBehind(): void {
    if (this.toldBehind) return;
    this.toldBehind = true;
    this.deps.onRejected?.('engine_overloaded');
    this.sendError('engine_overloaded', `the model is more than ${this.options.limits.maxEngineBacklogMs} ms behind on this session's audio; reading from this socket is paused until it catches up (nothing is dropped)`);
  }

  /** Stops reading the socket and retries the waiting messages until they are all applied. */
  private pause(): void {
    if (!this.paused) {
      this.paused = true;
      this.deps.socket.pause();
      this.deps.onRejected?.('intake_paced');
    }
    this.poll ??= setInterval(() => this.pump(), PACE_POLL_MS);
  }

  private resume(): void {
    this.stopPoll();
    if (!this.paused) return;
    this.paused = false;
    this.toldBehind = false;
    if (this.actor.getSnapshot().status === 'active' && !this.stopped) this.deps.socket.resume();
  }

  private stopPoll(): void {
    if (!this.poll) return;
    clearInterval(this.poll);
    this.poll = undefined;
  }

  /** Ends the session from the server side (shutdown): flushes and logs like a client close. */
  shutdown(): Promise<void> {
    return this.end('server_shutdown', 'the server is shutting down', 1001);
  }

  /** Ends the session from the server side for a reason the client is told (and the log records). */
  end(code: string, message: string, closeCode: number): Promise<void> {
    this.fatal(code, message, closeCode);
    return this.done;
  }

  /**
   * New format applies to the frames after the message; a new model, rate or segmentation restarts
   * the engine stream. Returns whether it started a switch.
   */
  private applyConfig(message: Record<string, unknown>): boolean {
    const next = parseSettings(message, this.settings, 'json');
    if ('error' in next) return (this.sendError('invalid_config', next.error), false);
    const model = message.model_id ?? message.model;
    if (model !== undefined && (typeof model !== 'string' || model === '')) return (this.sendError('invalid_config', 'model_id must be a non-empty string'), false);
    const current = this.modelId;
    const targetModel = (model as string | undefined) ?? current;
    const restart = targetModel !== current || needsNewStream(this.settings, next);
    if (next.encoding !== this.settings.encoding) {
      this.dropIncompleteSample('at the encoding change');
      this.decoder = new AudioDecoder(next.encoding);
    }
    this.settings = next;
    if (restart) this.actor.send({ type: 'SWITCH', modelId: targetModel });
    else this.sendReady(current);
    return restart;
  }

  private feed(frame: Uint8Array): void {
    const pcm = this.decoder.take(frame);
    if (pcm.length === 0) return;
    // Kept before the engine takes the samples (their buffer is handed over to it).
    const stopped = this.recording?.write(pcm, this.settings.encoding, this.settings.sampleRate);
    if (stopped) this.sendError('recording_stopped', stopped);
    const seq = this.arrivals.next();
    this.engine!.feedEncoded(this.id, seq, pcm, this.settings.encoding, this.settings.sampleRate);
    const t = this.now();
    if (t - this.lastActivity >= ACTIVITY_EVERY_MS) {
      this.lastActivity = t;
      this.actor.send({ type: 'ACTIVITY' });
    }
  }

  private openStream(engine: Engine, originMs: number): void {
    engine.open(this.id, originMs, this.settings, (e) => this.onStreamEvent(e));
  }

  private onStreamEvent(e: StreamEvent): void {
    switch (e.type) {
      case 'partial':
        return void this.actor.send({ type: 'PARTIAL', text: e.text, startMs: e.startMs, endMs: e.endMs, latencyMs: this.arrivals.latencyOf(e.seq) });
      case 'final':
        return void this.actor.send({ type: 'FINAL', text: e.text, startMs: e.startMs, endMs: e.endMs, words: e.words, reason: e.reason, formatted: e.formatted ?? null, turnConfidence: e.turnConfidence, latencyMs: this.arrivals.latencyOf(e.seq) });
      case 'speech_started':
        return void this.actor.send({ type: 'SPEECH_STARTED', atMs: e.atMs });
      case 'finalized':
        return void this.outbox.emit([], { type: 'finalized' });
      case 'utterance_end':
        return void this.actor.send({ type: 'UTTERANCE_END', lastWordEndMs: e.lastWordEndMs, atMs: e.atMs });
      case 'closed':
        return void this.actor.send({ type: 'STREAM_CLOSED', audioMs: e.audioMs });
      case 'stream_error':
        return void this.actor.send({ type: 'ENGINE_ERROR', code: 'stream_error', message: e.message });
      case 'engine_crashed':
        return void this.actor.send({ type: 'ENGINE_ERROR', code: 'engine_crashed', message: `the model's worker crashed and was restarted; audio in flight may be lost (${e.message})` });
      case 'engine_failed':
        // Nothing will flush the stream: end the session now with what the log already holds.
        this.fatal('engine_failed', `the model's engine failed and is not restarted again: ${e.message}`, 1011);
        return void this.actor.send({ type: 'STREAM_CLOSED', audioMs: e.audioMs });
      default: {
        const never: never = e;
        console.error('unknown stream event', never);
      }
    }
  }

  private emitOut([e, message]: Outgoing): void {
    void this.outbox.emit([e], message);
  }

  /** Reports (and forgets) half a sample left in the decoder when its stream or encoding ends. */
  private dropIncompleteSample(when: string): void {
    const bytes = this.decoder.pendingBytes;
    if (bytes > 0) this.sendError('incomplete_sample', `${bytes} byte(s) of an incomplete ${this.settings.encoding} sample were dropped ${when}`);
  }

  private sendError(code: string, message: string): void {
    this.outbox.error(code, message);
  }

  private readyMessage(modelId: string): ServerMessage {
    const s = this.settings;
    const o = this.options;
    const practice = o.practice ? { item_id: o.practice.itemId, attempt_id: o.practice.attemptId } : {};
    return { type: 'ready', session_id: this.id, model_id: modelId, encoding: s.encoding, sample_rate: s.sampleRate, max_frame_bytes: o.maxFrameBytes, max_intake_rate: o.limits.maxIntakeRate, resumed: o.resume !== undefined, ...practice };
  }

  private sendReady(modelId: string): void {
    void this.outbox.emit([], this.readyMessage(modelId));
  }

  private machine() {
    const o = this.options;
    const id = o.sessionId;
    return sessionMachine.provide({
      actors: {
        acquireEngine: fromPromise(async ({ input }) => {
          const engine = await this.deps.acquire(input.modelId);
          if (this.engine) this.candidate = engine;
          else this.engine = engine;
        }),
      },
      actions: {
        opened: ({ context }) => {
          this.openStream(this.engine!, context.audioMs);
          const s = this.settings;
          const format = { model_id: context.modelId, encoding: s.encoding, sample_rate: s.sampleRate };
          const first = o.resume
            ? event('SessionResumed', { session_id: id, ...format, at_ms: o.resume.atMs, next_segment: o.resume.nextSegment })
            : event('SessionOpened', { session_id: id, ...format, user_id: o.owner, language: o.language, protocol: o.origin?.protocol ?? 'voxlog', recorded: o.recording !== undefined });
          // `ready` rides with the opening event so nothing the held audio produces can overtake it.
          void this.outbox.emit([first], this.readyMessage(context.modelId), o.resume ? o.resume.version : 'no_stream');
          this.pump();
        },
        rejected: (_, { error }) => {
          const code = error instanceof VoxError ? error.code : 'engine_unavailable';
          const message = error instanceof Error ? error.message : String(error);
          this.sendError(code, message);
          void this.outbox.drained().then(() => this.deps.socket.close(CLOSE_CODES[code] ?? CloseCode.internalError, code, this.abrupt));
        },
        emitPartial: (_, r) => {
          this.deps.observe?.partial(r.latencyMs);
          this.emitOut(partialOut(id, r));
        },
        emitFinal: (_, r) => {
          this.deps.observe?.final(r.latencyMs);
          this.emitOut(finalOut(id, r));
        },
        emitSpeechStarted: (_, r) => this.emitOut(speechStartedOut(id, r)),
        emitUtteranceEnd: (_, r) => this.emitOut(utteranceEndOut(id, r)),
        sendError: (_, { code, message }) => this.sendError(code, message),
        finalizeStream: () => this.engine!.finalize(id, this.arrivals.next()),
        closeStream: () => {
          this.dropIncompleteSample('at close');
          this.engine!.close(id, this.arrivals.next());
        },
        closeForSwitch: () => {
          this.switchStartedAt = this.now();
          this.engine!.close(id, this.arrivals.next(), 'switch');
        },
        switched: ({ context }) => {
          const waited = Math.round(this.now() - this.switchStartedAt);
          this.engine = this.candidate ?? this.engine;
          this.candidate = undefined;
          this.modelId = context.nextModelId!;
          this.openStream(this.engine!, context.audioMs);
          if (context.nextModelId === context.modelId) this.sendReady(context.modelId);
          else this.emitOut(switchedOut(id, context, waited));
          this.pump();
        },
        switchFailed: ({ context }) => {
          this.candidate = undefined;
          this.openStream(this.engine!, context.audioMs);
          this.sendError('model_switch_failed', `staying on ${context.modelId}: ${context.switchError}`);
          this.pump();
        },
        finish: ({ context }) => {
          const [closed, message] = closedOut(id, context, Math.round(this.now() - this.openedAt));
          const d = (closed as EventOf<'SessionClosed'>).data;
          this.deps.observe?.ended({ session_id: id, user_id: o.owner, model_id: d.model_id, reason: d.reason, audio_ms: d.audio_ms, segments: d.segments, duration_ms: d.duration_ms });
          void this.outbox.emit([closed], message).then(() => this.deps.socket.close(context.closeCode, (context.closeReason ?? 'client_close').slice(0, 120), this.abrupt));
        },
      },
    });
  }
}
