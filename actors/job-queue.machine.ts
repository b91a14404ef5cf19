import { assign, cancel, enqueueActions, setup } from 'xstate';

/** A job waiting for a slot: lower `rank` first (high 0, normal 1, low 2), then submission order. */
export interface QueuedJob {
  readonly id: string;
  readonly rank: number;
  readonly seq: number;
}

export interface JobQueueContext {
  /** Jobs run at once; 0 pauses the queue (running jobs finish). */
  readonly limit: number;
  /** Runs a job gets before passing failures dead-letter it. */
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly queue: readonly QueuedJob[];
  readonly running: readonly QueuedJob[];
  readonly backingOff: readonly QueuedJob[];
  /** Passing failures so far, per job still in the machine. */
  readonly failures: Readonly<Record<string, number>>;
}

export type JobQueueEvent =
  /** A job to run; `failures` carries passing failures already recorded (after a restart). */
  | { type: 'ENQUEUE'; job: QueuedJob; failures?: number }
  /** The job's run ended (completed, failed for good, or cancelled): its slot is free. */
  | { type: 'FINISHED'; id: string }
  | { type: 'FAILED_TRANSIENT'; id: string; code: string; reason: string }
  | { type: 'RETRY'; id: string }
  /** Take the job out of the queue; a running one is asked to stop (its run then sends FINISHED). */
  | { type: 'CANCEL'; id: string }
  | { type: 'SET_LIMIT'; limit: number };

const byOrder = (a: QueuedJob, b: QueuedJob) => a.rank - b.rank || a.seq - b.seq;
const without = <T>(xs: readonly T[], pick: (x: T) => string, id: string) => xs.filter((x) => pick(x) !== id);
const forget = (f: Readonly<Record<string, number>>, id: string) => Object.fromEntries(Object.entries(f).filter(([k]) => k !== id));
const idOf = (j: QueuedJob) => j.id;
const retryTimer = (id: string) => `retry-${id}`;

/**
 * The durable job queue's scheduling, with no I/O: at most `limit` runs at once, by priority and
 * then submission order. A passing failure waits 1×, 2×, 4× … `retryBaseMs` and goes back to the
 * queue, until `maxAttempts` runs have failed; then the job is dead-lettered. The work is the
 * provided `run` action; `retrying`, `deadLetter` and `abort` report to the service.
 */
export const jobQueueMachine = setup({
  types: {
    context: {} as JobQueueContext,
    events: {} as JobQueueEvent,
    input: {} as { limit: number; maxAttempts: number; retryBaseMs: number },
  },
  actions: {
    run: (_, _params: { id: string }) => {},
    retrying: (_, _params: { id: string; code: string; reason: string; failures: number; delayMs: number }) => {},
    deadLetter: (_, _params: { id: string; code: string; reason: string; failures: number }) => {},
    abort: (_, _params: { id: string }) => {},
  },
  guards: {
    slotFree: ({ context }) => context.queue.length > 0 && context.running.length < context.limit,
  },
}).createMachine({
  id: 'jobs',
  context: ({ input }) => ({ ...input, queue: [], running: [], backingOff: [], failures: {} }),
  always: {
    guard: 'slotFree',
    actions: enqueueActions(({ context, enqueue }) => {
      const next = context.queue[0]!;
      enqueue.assign({ queue: context.queue.slice(1), running: [...context.running, next] });
      enqueue({ type: 'run', params: { id: next.id } });
    }),
  },
  on: {
    ENQUEUE: {
      // A job already in the machine is the same work: it is not run twice.
      guard: ({ context, event }) => ![...context.queue, ...context.running, ...context.backingOff].some((j) => j.id === event.job.id),
      actions: assign(({ context, event }) => ({
        queue: [...context.queue, event.job].sort(byOrder),
        failures: event.failures ? { ...context.failures, [event.job.id]: event.failures } : context.failures,
      })),
    },
    FINISHED: { actions: assign(({ context, event }) => ({ running: without(context.running, idOf, event.id), failures: forget(context.failures, event.id) })) },
    FAILED_TRANSIENT: {
      guard: ({ context, event }) => context.running.some((j) => j.id === event.id),
      actions: enqueueActions(({ context, event, enqueue }) => {
        const failures = (context.failures[event.id] ?? 0) + 1;
        const job = context.running.find((j) => j.id === event.id)!;
        const running = without(context.running, idOf, event.id);
        if (failures >= context.maxAttempts) {
          enqueue.assign({ running, failures: forget(context.failures, event.id) });
          enqueue({ type: 'deadLetter', params: { id: event.id, code: event.code, reason: event.reason, failures } });
          return;
        }
        const delayMs = context.retryBaseMs * 2 ** (failures - 1);
        enqueue.assign({ running, failures: { ...context.failures, [event.id]: failures }, backingOff: [...context.backingOff, job] });
        enqueue({ type: 'retrying', params: { id: event.id, code: event.code, reason: event.reason, failures, delayMs } });
        enqueue.raise({ type: 'RETRY', id: event.id }, { delay: delayMs, id: retryTimer(event.id) });
      }),
    },
    RETRY: {
      actions: assign(({ context, event }) => ({
        backingOff: without(context.backingOff, idOf, event.id),
        // Back to its place: by its priority and when it was submitted.
        queue: [...context.queue, ...context.backingOff.filter((j) => j.id === event.id)].sort(byOrder),
      })),
    },
    CANCEL: {
      actions: enqueueActions(({ context, event, enqueue }) => {
        if (context.running.some((j) => j.id === event.id)) return void enqueue({ type: 'abort', params: { id: event.id } });
        enqueue(cancel(retryTimer(event.id)));
        enqueue.assign({ queue: without(context.queue, idOf, event.id), backingOff: without(context.backingOff, idOf, event.id), failures: forget(context.failures, event.id) });
      }),
    },
    SET_LIMIT: { actions: assign({ limit: ({ event }) => Math.max(0, event.limit) }) },
  },
});
