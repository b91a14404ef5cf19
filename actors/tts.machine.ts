import { assign, enqueueActions, setup } from 'xstate';

/** The speech the queue works through: one task per audio hash, however many items share it. */
export interface TtsQueueContext {
  readonly limit: number;
  readonly maxTries: number;
  readonly retryBaseMs: number;
  /** Hashes waiting for a slot, oldest first. */
  readonly queue: readonly string[];
  readonly running: readonly string[];
  /** Hashes waiting out a backoff before their next try. */
  readonly backingOff: readonly string[];
  /** Tries made so far, per hash still in the machine. */
  readonly tries: Readonly<Record<string, number>>;
}

export type TtsQueueEvent =
  /** Audio is wanted; `tries` carries tries already made before a restart. */
  | { type: 'REQUEST'; hash: string; tries?: number }
  | { type: 'SUCCEEDED'; hash: string }
  | { type: 'FAILED'; hash: string; reason: string; transient: boolean }
  | { type: 'RETRY'; hash: string }
  | { type: 'SET_LIMIT'; limit: number };

const without = (xs: readonly string[], x: string) => xs.filter((y) => y !== x);
const forget = (tries: Readonly<Record<string, number>>, hash: string) => Object.fromEntries(Object.entries(tries).filter(([h]) => h !== hash));

/**
 * Runs at most `limit` syntheses at once, in request order, a hash at a time. A transient failure
 * is tried again after 1×, 2×, 4× … `retryBaseMs`, up to `maxTries` tries; then it has failed.
 * The work itself is the provided `synthesize` action; `reportFailure` records each failure.
 */
export const ttsQueueMachine = setup({
  types: {
    context: {} as TtsQueueContext,
    events: {} as TtsQueueEvent,
    input: {} as { limit: number; maxTries: number; retryBaseMs: number },
  },
  actions: {
    synthesize: (_, _params: { hash: string; attempt: number }) => {},
    reportFailure: (_, _params: { hash: string; reason: string; attempt: number; retrying: boolean }) => {},
  },
  guards: {
    slotFree: ({ context }) => context.queue.length > 0 && context.running.length < context.limit,
  },
}).createMachine({
  id: 'tts',
  context: ({ input }) => ({ ...input, queue: [], running: [], backingOff: [], tries: {} }),
  always: {
    guard: 'slotFree',
    actions: enqueueActions(({ context, enqueue }) => {
      const hash = context.queue[0]!;
      const attempt = (context.tries[hash] ?? 0) + 1;
      enqueue.assign({ queue: context.queue.slice(1), running: [...context.running, hash], tries: { ...context.tries, [hash]: attempt } });
      enqueue({ type: 'synthesize', params: { hash, attempt } });
    }),
  },
  on: {
    REQUEST: {
      // A hash already queued, running or backing off is the same work: it is not done twice.
      guard: ({ context, event }) => ![...context.queue, ...context.running, ...context.backingOff].includes(event.hash),
      actions: assign(({ context, event }) => ({
        queue: [...context.queue, event.hash],
        tries: event.tries ? { ...context.tries, [event.hash]: event.tries } : context.tries,
      })),
    },
    SUCCEEDED: { actions: assign(({ context, event }) => ({ running: without(context.running, event.hash), tries: forget(context.tries, event.hash) })) },
    FAILED: {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const attempt = context.tries[event.hash] ?? 1;
        const retrying = event.transient && attempt < context.maxTries;
        enqueue({ type: 'reportFailure', params: { hash: event.hash, reason: event.reason, attempt, retrying } });
        if (retrying) {
          enqueue.assign({ running: without(context.running, event.hash), backingOff: [...context.backingOff, event.hash] });
          enqueue.raise({ type: 'RETRY', hash: event.hash }, { delay: context.retryBaseMs * 2 ** (attempt - 1) });
        } else {
          enqueue.assign({ running: without(context.running, event.hash), tries: forget(context.tries, event.hash) });
        }
      }),
    },
    RETRY: { actions: assign(({ context, event }) => ({ backingOff: without(context.backingOff, event.hash), queue: [...context.queue, event.hash] })) },
    SET_LIMIT: { actions: assign({ limit: ({ event }) => Math.max(1, event.limit) }) },
  },
});
