import { newEventId } from '../../events/ids';
import type { EventStore, ExpectedVersion } from '../../events/store';
import type { VoxEvent } from '../../events/types';
import type { ServerMessage } from './protocol';

/** Waits before each retry of a failed append (a busy or briefly full disk often clears). */
const RETRY_DELAYS_MS = [100, 500];

/**
 * One session's way out, in order: events are appended first and the message is sent only once
 * they have committed, so what a client saw (a final above all), the log has.
 */
export class Outbox {
  private tail: Promise<void> = Promise.resolve();
  private failed = false;

  constructor(
    private readonly store: Pick<EventStore, 'append'>,
    private readonly streamId: string,
    private readonly send: (m: ServerMessage) => void,
    /** Added to every event's metadata (the session's owner). */
    private readonly metadata: Record<string, unknown> = {},
    /** Called once when events could not be stored even after retries. */
    private readonly onFailed: () => void = () => {},
  ) {}

  /** Appends `events`, then sends `message`; resolves once both are done (or failed and reported). */
  emit(events: readonly VoxEvent[], message?: ServerMessage, expectedVersion?: ExpectedVersion): Promise<void> {
    // Ids fixed before the first try make a retry idempotent: the store skips events it already has.
    const stamped = events.map((e) => ({ ...e, id: e.id ?? newEventId(), metadata: { ...this.metadata, ...e.metadata } }) as VoxEvent);
    this.tail = this.tail
      .then(async () => {
        if (stamped.length > 0) await this.appendWithRetry(stamped, expectedVersion);
        if (message) this.send(message);
      })
      .catch((err) => {
        if (this.failed) return;
        console.error(`${this.streamId}: could not log ${events.map((e) => e.type).join(', ')}: ${String(err)}`);
        this.failed = true;
        this.send({ type: 'error', code: 'log_write_failed', message: 'a result could not be recorded, so it was not delivered; the session ends' });
        this.onFailed();
      });
    return this.tail;
  }

  error(code: string, message: string): void {
    void this.emit([], { type: 'error', code, message });
  }

  /** Resolves once everything emitted so far is out. */
  drained(): Promise<void> {
    return this.tail;
  }

  private async appendWithRetry(events: readonly VoxEvent[], expectedVersion: ExpectedVersion | undefined): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.store.append(this.streamId, events, { expectedVersion });
        return;
      } catch (err) {
        const delay = RETRY_DELAYS_MS[attempt];
        // Only storage trouble is worth retrying; a wrong expected version will not change.
        if (delay === undefined || (err as { code?: string }).code === 'wrong_expected_version' || this.failed) throw err;
        await Bun.sleep(delay);
      }
    }
  }
}
