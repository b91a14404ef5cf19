import type { Limits } from '../config';
import { TokenBucket } from './token-bucket';

/** What to do with one message from a client. */
export type Verdict =
  | { readonly action: 'accept' }
  /** Drop it; `tell` is true for the first refusal of an episode (the client hears once, not per frame). */
  | { readonly action: 'refuse'; readonly code: string; readonly message: string; readonly tell: boolean }
  | { readonly action: 'close'; readonly code: string; readonly message: string };

/** Seconds of burst a client's message rate allows. */
const MESSAGE_BURST_S = 5;
const ACCEPT: Verdict = { action: 'accept' };
/** A client with no refusal for this long is back within its limits: the next refusal starts a new episode. */
const QUIET_MS = 1_000;

/**
 * A session's intake limits, frame by frame: messages per second, and audio per wall-clock second as a
 * multiple of real time averaged over a window (a token bucket of audio milliseconds). Refused audio
 * is dropped and the client told once; a client still over a limit after the grace period is closed.
 * Pure: time comes in as an argument.
 */
export class IntakeGuard {
  private readonly audio: TokenBucket;
  private readonly messages: TokenBucket;
  /** When the current episode over a limit began. */
  private overSince = 0;
  private lastRefusal = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly limits: Limits,
    now: number,
  ) {
    this.audio = new TokenBucket(limits.maxIntakeRate * limits.intakeWindowMs, limits.maxIntakeRate * 1000, now);
    this.messages = new TokenBucket(limits.maxMessagesPerSecond * MESSAGE_BURST_S, limits.maxMessagesPerSecond, now);
  }

  /** One message: text (no `audio`) or a frame of `audio.ms`, with `audio.heldBytes` held for the session counting it. */
  check(now: number, audio?: { readonly ms: number; readonly heldBytes: number }): Verdict {
    if (!this.messages.take(1, now)) return this.over(now, 'rate_exceeded', `more than ${this.limits.maxMessagesPerSecond} messages a second (VOXLOG_MAX_MESSAGES_PER_SECOND)`);
    if (audio && audio.heldBytes > this.limits.maxHeldBytes) {
      return this.over(now, 'held_audio_full', `more than ${this.limits.maxHeldBytes} bytes of audio are waiting for the model (VOXLOG_MAX_HELD_BYTES); send slower`);
    }
    if (audio && !this.audio.take(audio.ms, now)) {
      return this.over(now, 'rate_exceeded', `audio is arriving faster than ${this.limits.maxIntakeRate}x real time (VOXLOG_MAX_INTAKE_RATE); pace it`);
    }
    return ACCEPT;
  }

  /**
   * A client over a limit: an episode lasts while refusals keep coming (a frame let through as the
   * bucket refills does not end it); one that outlasts the grace period closes the socket.
   */
  private over(now: number, code: string, message: string): Verdict {
    const quiet = now - this.lastRefusal >= QUIET_MS;
    this.lastRefusal = now;
    if (quiet) {
      this.overSince = now;
      return { action: 'refuse', code, message, tell: true };
    }
    if (now - this.overSince >= this.limits.graceMs) return { action: 'close', code, message: `${message}; closing after ${this.limits.graceMs} ms over the limit` };
    return { action: 'refuse', code, message, tell: false };
  }
}
