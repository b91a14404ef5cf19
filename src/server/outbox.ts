import type { EventStore, ExpectedVersion } from '../../events/store';
import type { VoxEvent } from '../../events/types';
import type { ServerMessage } from './protocol';

/**
 * One session's way out, in order: events are appended first and the message is sent only once
 * they have committed, so what a client saw (a final above all), the log has.
 */
export class Outbox {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Pick<EventStore, 'append'>,
    private readonly streamId: string,
    private readonly send: (m: ServerMessage) => void,
  ) {}

  /** Appends `events`, then sends `message`; resolves once both are done (or failed and reported). */
  emit(events: readonly VoxEvent[], message?: ServerMessage, expectedVersion?: ExpectedVersion): Promise<void> {
    this.tail = this.tail
      .then(async () => {
        if (events.length > 0) await this.store.append(this.streamId, events, { expectedVersion });
        if (message) this.send(message);
      })
      .catch((err) => {
        console.error(`${this.streamId}: could not log ${events.map((e) => e.type).join(', ')}:`, err);
        this.send({ type: 'error', code: 'log_write_failed', message: 'a result could not be recorded and was not delivered' });
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
}
