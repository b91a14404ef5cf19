// One Media Streams connection: a call's audio, one voxlog session per track (inbound and outbound
// are separate sessions: each is one speaker's audio, and its segments and times stay its own).
import type { Authenticator } from '../../auth/authenticator';
import type { Principal } from '../../auth/principal';
import type { Outlet } from '../../server/host';
import { runSession, sharedFlow } from '../../server/host';
import { CloseCode } from '../../server/protocol';
import { LATE_BYTES_TOLERATED, textBytes, type Session, type SessionSocket } from '../../server/session';
import { sessionOptionsFrom, type TranscribeDeps } from '../../server/ws';
import { decodePayload, readFrame, type Start } from './frames';
import type { Webhook } from './webhook';

export interface CallDeps {
  readonly live: TranscribeDeps;
  readonly auth: Authenticator;
  readonly webhook: Webhook | undefined;
}

/** Frames dropped on a call, by why: reported once per kind, counted in /metrics, summed at the end. */
type Dropped = 'bad_payload' | 'out_of_order' | 'duplicate_chunk';

export class TwilioCall {
  private start: Start | undefined;
  private readonly tracks = new Map<string, { session: Session; lastChunk: number }>();
  private lastSeq = -1;
  private readonly dropped = new Map<Dropped, number>();
  private queue: Promise<void> = Promise.resolve();
  private caller: Principal | undefined;
  private ended = false;
  /** Set once the stream is being closed (by stop or a failure): nothing closes it twice. */
  private closing = false;
  /** Bytes that came after the stream began closing: past the tolerance, the socket is destroyed, not closed by handshake (see wsOutlet). */
  private lateBytes = 0;
  /** Each track's session may pause reading the one socket the call arrives on. */
  private readonly flow: ReturnType<typeof sharedFlow>;

  constructor(
    private readonly deps: CallDeps,
    private readonly key: string,
    private readonly outlet: Outlet,
    /** Who the upgrade authenticated as (a `?token=`), if anyone; else `start` must carry customParameters.token. */
    private readonly upgradeCaller: Principal | null,
  ) {
    this.flow = sharedFlow(outlet);
  }

  /** Frames one at a time, in order (the start awaits its credential check). */
  receive(raw: unknown): void {
    if (this.closing) return void (this.lateBytes += textBytes(raw));
    this.queue = this.queue.then(() => this.handle(raw)).catch((err) => this.fail(CloseCode.internalError, `internal error: ${String(err)}`));
  }

  /** The socket is gone: each track's session flushes and closes. */
  gone(): void {
    this.ended = true;
    this.queue = this.queue.then(() => {
      for (const t of this.tracks.values()) t.session.socketGone();
    });
  }

  private async handle(raw: unknown): Promise<void> {
    if (this.ended) return;
    const frame = readFrame(raw);
    if (typeof frame === 'string') return this.fail(CloseCode.invalidPayload, frame);
    if (frame.event === 'connected' || frame.event === 'mark' || frame.event === 'dtmf' || frame.event === 'other') return;
    if (frame.seq !== null) {
      if (frame.seq <= this.lastSeq) return this.drop('out_of_order', `sequenceNumber ${frame.seq} after ${this.lastSeq}`);
      this.lastSeq = frame.seq;
    }
    switch (frame.event) {
      case 'start':
        if (this.start) return this.fail(CloseCode.policyViolation, 'a second start on one stream');
        return this.begin(frame.start);
      case 'media': {
        if (!this.start || !this.caller) return this.fail(CloseCode.policyViolation, 'media before start: a stream begins with start');
        const bytes = decodePayload(frame.payload);
        if (!bytes) return this.drop('bad_payload', 'media.payload is not base64');
        const track = this.tracks.get(frame.track) ?? this.openTrack(frame.track);
        if (!track) return;
        if (frame.chunk !== null) {
          if (frame.chunk <= track.lastChunk) return this.drop('duplicate_chunk', `chunk ${frame.chunk} of ${frame.track} after ${track.lastChunk}`);
          track.lastChunk = frame.chunk;
        }
        return track.session.handleBinary(bytes);
      }
      case 'stop':
        return this.stop();
    }
  }

  private async begin(start: Start): Promise<void> {
    const token = start.customParameters.token;
    const outcome = token ? await this.deps.auth.resolveCredential(token) : this.upgradeCaller;
    if (outcome === null || 'problem' in outcome) {
      const why = outcome === null ? 'auth is on: put the API key in a <Parameter name="token"> of the <Stream>, or ?token= where the bridge allows a query' : outcome.problem;
      return this.fail(CloseCode.policyViolation, `unauthorized: ${why}`);
    }
    this.start = start;
    this.caller = outcome;
  }

  private openTrack(track: string): { session: Session; lastChunk: number } | undefined {
    const start = this.start!;
    const options = sessionOptionsFrom({ encoding: start.encoding, sample_rate: String(start.sampleRate), model: start.customParameters.model }, this.deps.live, this.caller!);
    if ('code' in options) return void this.fail(options.closeCode, options.message);
    const refs = { call_sid: start.callSid, stream_sid: start.streamSid, track };
    const session = runSession(this.deps.live, `${this.key}-${track}`, this.sessionSocket(track), { ...options, origin: { protocol: 'twilio', refs } }, this.caller!);
    const entry = { session, lastChunk: -1 };
    this.tracks.set(track, entry);
    return entry;
  }

  /** A track's session messages: finals go to the webhook (the log and SSE have them already). */
  private sessionSocket(track: string): SessionSocket {
    const start = this.start!;
    return {
      send: (m) => {
        if (m.type === 'final' && m.text !== '') {
          this.deps.webhook?.send(start.callSid, {
            type: 'transcript',
            call_sid: start.callSid,
            stream_sid: start.streamSid,
            account_sid: start.accountSid,
            track,
            custom_parameters: Object.fromEntries(Object.entries(start.customParameters).filter(([k]) => k !== 'token')),
            session_id: this.tracks.get(track)?.session.id,
            segment: m.segment,
            text: m.text,
            start_ms: m.start_ms,
            end_ms: m.end_ms,
            words: m.words,
            model_id: m.model_id,
          });
        } else if (m.type === 'error') console.warn(`twilio ${start.callSid} ${track}: ${m.code}: ${m.message}`);
      },
      // A session that fails ends the stream; one that closes normally waits for the others (stop).
      close: (code, reason) => code !== CloseCode.normal && this.fail(code, reason),
      ...this.flow(),
    };
  }

  private async stop(): Promise<void> {
    this.ended = this.closing = true;
    for (const t of this.tracks.values()) t.session.handleText({ type: 'close' });
    await Promise.all([...this.tracks.values()].map((t) => t.session.done));
    if (this.dropped.size > 0) console.warn(`twilio ${this.start?.callSid}: frames dropped: ${[...this.dropped].map(([k, n]) => `${n} ${k}`).join(', ')}`);
    this.outlet.close(CloseCode.normal, 'stop');
  }

  private drop(kind: Dropped, detail: string): void {
    const n = (this.dropped.get(kind) ?? 0) + 1;
    this.dropped.set(kind, n);
    this.deps.live.onRejected?.(`twilio_${kind}`);
    if (n === 1) console.warn(`twilio ${this.start?.callSid ?? 'stream'}: frame dropped (${detail}); later ones like it are counted, not logged`);
  }

  /** Ends the stream: sessions flush what they have, then the socket closes with `code`. */
  private fail(code: number, reason: string): void {
    if (this.closing) return;
    this.ended = this.closing = true;
    console.warn(`twilio ${this.start?.callSid ?? 'stream'}: closing (${code}): ${reason}`);
    for (const t of this.tracks.values()) void t.session.end('stream_failed', reason, code);
    void Promise.all([...this.tracks.values()].map((t) => t.session.done)).then(() => this.outlet.close(code, reason.slice(0, 120), this.lateBytes > LATE_BYTES_TOLERATED));
  }
}
