// One Wyoming client connection: describe → info, and transcribe / audio-start / audio-chunk /
// audio-stop → a voxlog session whose finals come back as transcript-chunk events and a transcript.
import type { Authenticator } from '../../auth/authenticator';
import { OPEN_ACCESS, type Principal } from '../../auth/principal';
import { runSession } from '../../server/host';
import { CloseCode } from '../../server/protocol';
import type { Session, SessionSocket } from '../../server/session';
import { sessionOptionsFrom, type TranscribeDeps } from '../../server/ws';
import { readable } from '../text';
import { encodeEvent, type WyomingEvent } from './codec';

export interface ConnectionDeps {
  readonly live: TranscribeDeps;
  readonly auth: Authenticator;
  /** With auth on, the key sessions run as unless the client sends its own `token`. */
  readonly apiKey: string | undefined;
  readonly info: () => Record<string, unknown>;
}

/** What the connection writes to: Wyoming events out, TCP flow control, and hanging up. */
export interface Wire {
  write(bytes: Uint8Array): void;
  pause(): void;
  resume(): void;
  /** Stops reading at once, ends the connection once what was written is out, and destroys it if that takes too long. */
  hangUp(): void;
}

interface Format {
  readonly rate: number;
  readonly width: number;
  readonly channels: number;
}

let connections = 0;

export class WyomingConnection {
  private readonly id = `wyoming-${++connections}`;
  private runs = 0;
  /** What the last `transcribe` asked for: it applies to the next audio. */
  private request: { model?: string; language?: string } = {};
  private session: Session | undefined;
  private format: Format | undefined;

  constructor(
    private readonly deps: ConnectionDeps,
    private readonly wire: Wire,
  ) {}

  private queue: Promise<void> = Promise.resolve();

  /** Handles events one at a time, in order (starting a session awaits the credential check). */
  receive(e: WyomingEvent): void {
    this.queue = this.queue.then(() => this.handle(e)).catch((err) => this.error(`internal error: ${String(err)}`, 'internal_error'));
  }

  private send(type: string, data: Record<string, unknown> = {}): void {
    this.wire.write(encodeEvent(type, data));
  }

  error(text: string, code: string): void {
    this.send('error', { text, code });
  }

  private async handle(e: WyomingEvent): Promise<void> {
    switch (e.type) {
      case 'describe':
        return this.send('info', this.deps.info());
      case 'ping':
        return this.send('pong', typeof e.data.text === 'string' ? { text: e.data.text } : {});
      case 'transcribe':
        this.request = { model: str(e.data.name), language: str(e.data.language) };
        return;
      case 'audio-start':
        return this.start(e.data, str(e.data.token));
      case 'audio-chunk':
        if (!this.session) await this.start(e.data, str(e.data.token));
        return this.chunk(e);
      case 'audio-stop':
        if (!this.session) return this.error('audio-stop without audio-start', 'no_audio');
        this.session.handleText({ type: 'close' });
        this.session = undefined;
        return;
      default:
        // Events for other services (wake, tts, intent...) are not for an ASR server: ignored, as the protocol expects.
        return;
    }
  }

  /** The connection is gone: its session flushes and closes as a socket that went away. */
  gone(): void {
    this.queue = this.queue.then(() => this.session?.socketGone());
  }

  private async start(data: Record<string, unknown>, token: string | undefined): Promise<void> {
    if (this.session) this.session.handleText({ type: 'close' });
    this.session = undefined;
    const format = audioFormat(data);
    if (typeof format === 'string') return this.error(format, 'invalid_audio_format');
    const caller = await this.caller(token);
    if (typeof caller === 'string') return this.error(caller, 'unauthorized');
    const options = sessionOptionsFrom({ model: this.request.model, language: this.request.language, sample_rate: String(format.rate) }, this.deps.live, caller);
    if ('code' in options) return this.error(options.message, options.code);
    this.format = format;
    this.session = runSession(this.deps.live, `${this.id}-${++this.runs}`, this.sessionSocket(this.request.language ?? 'en'), { ...options, origin: { protocol: 'wyoming' } }, caller);
  }

  private chunk(e: WyomingEvent): void {
    if (!this.session || !this.format || !e.payload) return;
    const format = audioFormat({ ...this.format, ...e.data });
    if (typeof format === 'string' || format.rate !== this.format.rate || format.width !== this.format.width || format.channels !== this.format.channels) {
      return this.error(`audio-chunk format ${JSON.stringify(e.data)} differs from audio-start's ${JSON.stringify(this.format)}`, 'invalid_audio_format');
    }
    this.session.handleBinary(format.channels === 1 ? e.payload : downmix(e.payload, format.channels));
  }

  private async caller(token: string | undefined): Promise<Principal | string> {
    if (!this.deps.auth.enabled) return OPEN_ACCESS;
    const outcome = await this.deps.auth.resolveCredential(token ?? this.deps.apiKey ?? null);
    if (outcome === null) return 'auth is on: set VOXLOG_WYOMING_API_KEY to the API key Wyoming sessions run as, or send "token" in audio-start';
    if ('problem' in outcome) return outcome.problem;
    if (!outcome.scopes.includes('all')) return `this API key may only be used for ${outcome.scopes.join(', ')}`;
    return outcome;
  }

  /** A session's messages as Wyoming events: finals stream as transcript chunks, the close brings the transcript. */
  private sessionSocket(language: string): SessionSocket {
    const texts: string[] = [];
    let opened = false;
    return {
      send: (m) => {
        if (m.type === 'ready') opened = true;
        if (m.type === 'final' && m.text !== '') {
          if (texts.length === 0) this.send('transcript-start', { language });
          this.send('transcript-chunk', { text: `${texts.length === 0 ? '' : ' '}${readable(m.text)}` });
          texts.push(readable(m.text));
        } else if (m.type === 'error') this.error(m.message, m.code);
        else if (m.type === 'closed') {
          if (texts.length > 0) this.send('transcript-stop');
          this.send('transcript', { text: texts.join(' '), language });
        }
      },
      // The TCP connection outlives a session that ends normally or is refused at the start (a client
      // may transcribe again on it); one the server ended for a limit or a fault takes the connection with it.
      close: (code) => opened && code !== CloseCode.normal && this.wire.hangUp(),
      pause: () => this.wire.pause(),
      resume: () => this.wire.resume(),
    };
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function audioFormat(d: Record<string, unknown>): Format | string {
  const { rate, width, channels } = d;
  if (typeof rate !== 'number' || !Number.isInteger(rate) || rate < 8000 || rate > 192000) return `rate must be a whole number of Hz from 8000 to 192000 (got ${JSON.stringify(rate)})`;
  if (width !== 2) return `width ${JSON.stringify(width)} is not supported: send 16-bit samples (width 2)`;
  if (typeof channels !== 'number' || !Number.isInteger(channels) || channels < 1 || channels > 8) return `channels must be 1 to 8 (got ${JSON.stringify(channels)})`;
  return { rate, width, channels };
}

/** Interleaved 16-bit frames to mono by averaging the channels. */
function downmix(payload: Uint8Array, channels: number): Uint8Array {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const frames = Math.floor(payload.length / (2 * channels));
  const out = new Uint8Array(frames * 2);
  const mono = new DataView(out.buffer);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += view.getInt16((f * channels + c) * 2, true);
    mono.setInt16(f * 2, Math.round(sum / channels), true);
  }
  return out;
}
