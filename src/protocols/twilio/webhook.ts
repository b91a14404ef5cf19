// Finals of telephony calls POSTed to VOXLOG_TWILIO_WEBHOOK_URL as they happen: signed with the
// shared secret (HMAC-SHA256 over `<timestamp>.<body>`, so a receiver can refuse replays), retried
// with backoff on network errors, 5xx and 429, and delivered in order per call.

const RETRY_DELAYS_MS = [500, 1_000, 2_000, 4_000];
/** Deliveries waiting at once, across calls; past it new ones are dropped (and counted) rather than held without bound. */
const MAX_QUEUED = 1_000;

export interface WebhookOptions {
  readonly url: string;
  readonly secret: string;
  readonly onDropped?: (reason: string) => void;
  /** For tests: waits between retries. */
  readonly delaysMs?: readonly number[];
}

/** The signature header's value for `body` at `timestamp` (seconds): what a receiver recomputes. */
export function signature(secret: string, timestamp: number, body: string): string {
  const mac = new Bun.CryptoHasher('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

export class Webhook {
  private readonly chains = new Map<string, Promise<void>>();
  private queued = 0;

  constructor(private readonly o: WebhookOptions) {}

  /** Queues `payload` behind the call's earlier deliveries. */
  send(callSid: string, payload: Record<string, unknown>): void {
    if (this.queued >= MAX_QUEUED) return this.o.onDropped?.('webhook_backlog');
    this.queued++;
    const next = (this.chains.get(callSid) ?? Promise.resolve()).then(() => this.deliver(JSON.stringify(payload))).finally(() => {
      this.queued--;
      if (this.chains.get(callSid) === next) this.chains.delete(callSid);
    });
    this.chains.set(callSid, next);
  }

  private async deliver(body: string): Promise<void> {
    const delays = this.o.delaysMs ?? RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      let failure: string;
      try {
        const timestamp = Math.floor(Date.now() / 1000);
        const r = await fetch(this.o.url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', 'x-voxlog-signature': signature(this.o.secret, timestamp, body), 'x-voxlog-attempt': String(attempt + 1) },
          signal: AbortSignal.timeout(10_000),
        });
        if (r.ok) return;
        failure = `HTTP ${r.status}`;
        // A 4xx other than 429 says the receiver will not take it: retrying cannot help.
        if (r.status < 500 && r.status !== 429) return this.giveUp(failure, attempt);
      } catch (err) {
        failure = (err as Error).message;
      }
      const delay = delays[attempt];
      if (delay === undefined) return this.giveUp(failure, attempt);
      await Bun.sleep(delay);
    }
  }

  private giveUp(failure: string, attempt: number): void {
    console.error(`twilio webhook: gave up after ${attempt + 1} attempt(s): ${failure}`);
    this.o.onDropped?.('webhook_failed');
  }
}
