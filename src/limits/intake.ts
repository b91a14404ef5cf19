import type { Limits } from '../config';
import { TokenBucket } from './token-bucket';

/** Seconds of burst a client's message rate allows. */
const MESSAGE_BURST_S = 5;

/**
 * A session's intake budget: messages per second, and audio per wall-clock second as a multiple of
 * real time averaged over a window (token buckets). It paces, never refuses: a message over budget
 * waits (the session stops reading its socket, so the client feels TCP backpressure) until the
 * buckets have refilled enough. What it is for is fairness: one client sending a recording at full
 * network speed cannot take more than its share of a model's decoding time from the sessions beside
 * it. Memory is bounded elsewhere (held audio, engine backlog). Pure: time comes in as an argument.
 */
export class IntakeBudget {
  private readonly audio: TokenBucket;
  private readonly messages: TokenBucket;

  constructor(limits: Limits, now: number) {
    this.audio = new TokenBucket(limits.maxIntakeRate * limits.intakeWindowMs, limits.maxIntakeRate * 1000, now);
    this.messages = new TokenBucket(limits.maxMessagesPerSecond * MESSAGE_BURST_S, limits.maxMessagesPerSecond, now);
  }

  /** Spends one message and `audioMs` of audio if the budget has them now; returns whether it did. */
  take(now: number, audioMs = 0): boolean {
    if (!this.messages.has(1, now) || !this.audio.has(audioMs, now)) return false;
    this.messages.spend(1);
    this.audio.spend(audioMs);
    return true;
  }
}
