import { assign, setup } from 'xstate';

export interface EngineContext {
  readonly modelId: string;
  readonly restarts: number;
  /** Crashes since the worker last decoded audio: a model that crashes on every decode stops being restarted. */
  readonly streak: number;
  readonly loadMs: number | null;
  readonly lastError: string | null;
}

export type EngineMachineEvent =
  | { type: 'WORKER_READY'; loadMs: number }
  | { type: 'WORKER_LOAD_FAILED'; message: string }
  | { type: 'WORKER_EXITED'; message: string }
  /** The worker decoded audio since it became ready: the crash streak ends. */
  | { type: 'WORKER_HEALTHY' }
  | { type: 'STOP' };

/** Crashes in a row (while loading, or before any audio was decoded) before the model is marked failed instead of restarted. */
export const MAX_LOAD_CRASHES = 3;

/**
 * Supervises one model's worker: load, serve, restart with backoff after a crash, stop.
 * The worker itself lives outside the machine; these actions are provided by the Engine.
 */
export const engineMachine = setup({
  types: {
    context: {} as EngineContext,
    events: {} as EngineMachineEvent,
    input: {} as { modelId: string },
  },
  actions: {
    startWorker: () => {},
    stopWorker: () => {},
    announceReady: () => {},
    announceCrash: (_, _params: { message: string }) => {},
  },
  guards: {
    tooManyCrashes: ({ context }) => context.streak + 1 >= MAX_LOAD_CRASHES,
  },
  delays: {
    // A first crash restarts at once (its sessions are waiting); crashes in a row back off. Counted
    // by the streak, not by lifetime restarts: a worker that crashed once a week ago restarts at once too.
    backoff: ({ context }) => (context.streak <= 1 ? 0 : Math.min(10_000, 200 * 2 ** (context.streak - 2))),
  },
}).createMachine({
  id: 'engine',
  initial: 'loading',
  context: ({ input }) => ({ modelId: input.modelId, restarts: 0, streak: 0, loadMs: null, lastError: null }),
  on: { STOP: '.stopped' },
  states: {
    loading: {
      entry: 'startWorker',
      on: {
        WORKER_READY: { target: 'ready', actions: [assign({ loadMs: ({ event }) => event.loadMs }), 'announceReady'] },
        WORKER_LOAD_FAILED: { target: 'failed', actions: assign({ lastError: ({ event }) => event.message }) },
        WORKER_EXITED: [
          { guard: 'tooManyCrashes', target: 'failed', actions: assign({ lastError: ({ event }) => event.message }) },
          { target: 'crashed' },
        ],
      },
    },
    ready: {
      on: {
        WORKER_HEALTHY: { actions: assign({ streak: 0 }) },
        WORKER_EXITED: [
          { guard: 'tooManyCrashes', target: 'failed', actions: assign({ lastError: ({ event }) => `crashed ${MAX_LOAD_CRASHES} times in a row before decoding any audio; last: ${event.message}` }) },
          { target: 'crashed' },
        ],
      },
    },
    crashed: {
      entry: [
        'stopWorker',
        assign({
          restarts: ({ context }) => context.restarts + 1,
          streak: ({ context }) => context.streak + 1,
          lastError: ({ event }) => (event.type === 'WORKER_EXITED' ? event.message : null),
        }),
        { type: 'announceCrash', params: ({ event }) => ({ message: event.type === 'WORKER_EXITED' ? event.message : 'worker exited' }) },
      ],
      after: { backoff: 'loading' },
    },
    failed: { entry: 'stopWorker' },
    stopped: { type: 'final', entry: 'stopWorker' },
  },
});
