/** When each numbered frame or control message reached the server, to time the results it produces. */
export class Arrivals {
  private seq = 0;
  private readonly at = new Map<number, number>();

  constructor(private readonly now: () => number) {}

  /** Numbers the next arrival and remembers when it came. */
  next(): number {
    this.seq += 1;
    this.at.set(this.seq, this.now());
    return this.seq;
  }

  /** Milliseconds since arrival `seq`; forgets older arrivals, which no result can name any more. */
  latencyOf(seq: number): number {
    const t = this.at.get(seq);
    for (const k of this.at.keys()) {
      if (k >= seq) break;
      this.at.delete(k);
    }
    return t === undefined ? 0 : Math.max(0, Math.round(this.now() - t));
  }
}
