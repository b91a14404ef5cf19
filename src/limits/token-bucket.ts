/**
 * A token bucket: `capacity` tokens, refilled at `perSecond`. Spending more than is there is refused,
 * so a client may burst up to the capacity and then sustain the rate. Time comes in as an argument.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.at = now;
  }

  /** Takes `n` tokens if there are that many; returns whether it did. */
  take(n: number, now: number): boolean {
    this.refill(now);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /**
   * Whether `n` tokens can be spent now: there are that many, or the bucket is full (a spend larger
   * than the capacity is allowed from a full bucket, and leaves it in debt, so it never waits forever).
   */
  has(n: number, now: number): boolean {
    this.refill(now);
    return this.tokens >= Math.min(n, this.capacity);
  }

  /** Spends `n` tokens, into debt if need be (call after `has`, which refilled the bucket to now). */
  spend(n: number): void {
    this.tokens -= n;
  }

  /** Seconds until `n` tokens will be there. */
  waitFor(n: number, now: number): number {
    this.refill(now);
    return this.tokens >= n ? 0 : (n - this.tokens) / this.perSecond;
  }

  /** Whether the bucket has refilled completely (an idle client: its state can be forgotten). */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.capacity;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
  }
}

/** One token bucket per key (a client address), forgetting keys whose buckets have refilled. */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  private lastSweep = 0;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
  ) {}

  /** Takes one token for `key`; when refused, says how many seconds to wait. */
  take(key: string, now: number): { ok: true } | { ok: false; retryAfterS: number } {
    this.sweep(now);
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = new TokenBucket(this.capacity, this.perSecond, now)));
    if (b.take(1, now)) return { ok: true };
    return { ok: false, retryAfterS: Math.max(1, Math.ceil(b.waitFor(1, now))) };
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [k, b] of this.buckets) if (b.isFull(now)) this.buckets.delete(k);
  }
}
