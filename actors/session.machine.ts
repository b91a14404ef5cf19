import { assign, fromPromise, setup } from 'xstate';
import type { Word } from '../events/types';

export interface SessionContext {
  readonly sessionId: string;
  readonly modelId: string;
  readonly idleMs: number;
  /** Number of finals so far: the next final's segment number. */
  readonly segment: number;
  readonly partials: number;
  readonly audioMs: number;
  readonly closeReason: string | null;
  /** Close code for the socket once the session is done (1000 unless something went wrong). */
  readonly closeCode: number;
  readonly pendingClose: boolean;
}

export interface ResultData {
  readonly text: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly latencyMs: number;
}

export type SessionEvent =
  | ({ type: 'PARTIAL' } & ResultData)
  | ({ type: 'FINAL'; words: readonly Word[]; reason: 'endpoint' | 'finalize' | 'close' } & ResultData)
  | { type: 'STREAM_CLOSED'; audioMs: number }
  | { type: 'ENGINE_ERROR'; code: string; message: string }
  | { type: 'FINALIZE' }
  | { type: 'KEEPALIVE' }
  | { type: 'ACTIVITY' }
  | { type: 'CLOSE' }
  | { type: 'SOCKET_GONE' }
  | { type: 'FATAL'; code: string; message: string; closeCode: number };

export interface SessionInput {
  readonly sessionId: string;
  readonly modelId: string;
  readonly idleMs: number;
}

/** How long a closing session waits for the engine to flush before giving up on it. */
export const CLOSE_FLUSH_TIMEOUT_MS = 10_000;

/**
 * One WebSocket session: acquire the model's engine, stream, flush and close.
 * Effects (socket, log, engine) are provided by the Session that runs it; context is plain data.
 */
export const sessionMachine = setup({
  types: {
    context: {} as SessionContext,
    events: {} as SessionEvent,
    input: {} as SessionInput,
  },
  actors: {
    acquireEngine: fromPromise<void, { modelId: string }>(async () => {
      throw new Error('acquireEngine must be provided');
    }),
  },
  actions: {
    opened: () => {},
    rejected: (_, _params: { error: unknown }) => {},
    emitPartial: (_, _params: ResultData & { segment: number }) => {},
    emitFinal: (_, _params: ResultData & { segment: number; words: readonly Word[]; reason: string }) => {},
    sendError: (_, _params: { code: string; message: string }) => {},
    finalizeStream: () => {},
    closeStream: () => {},
    finish: () => {},
  },
  guards: {
    closeRequested: ({ context }) => context.pendingClose,
  },
  delays: {
    idle: ({ context }) => context.idleMs,
    flushTimeout: CLOSE_FLUSH_TIMEOUT_MS,
  },
}).createMachine({
  id: 'session',
  initial: 'acquiring',
  // Results and engine errors are delivered the same way while streaming and while closing.
  on: {
    PARTIAL: {
      actions: [
        { type: 'emitPartial', params: ({ context, event }) => ({ ...event, segment: context.segment }) },
        assign({ partials: ({ context }) => context.partials + 1 }),
      ],
    },
    FINAL: {
      actions: [
        { type: 'emitFinal', params: ({ context, event }) => ({ ...event, segment: context.segment }) },
        assign({ segment: ({ context }) => context.segment + 1 }),
      ],
    },
    ENGINE_ERROR: { actions: { type: 'sendError', params: ({ event }) => event } },
  },
  context: ({ input }) => ({
    sessionId: input.sessionId,
    modelId: input.modelId,
    idleMs: input.idleMs,
    segment: 0,
    partials: 0,
    audioMs: 0,
    closeReason: null,
    closeCode: 1000,
    pendingClose: false,
  }),
  states: {
    acquiring: {
      invoke: {
        src: 'acquireEngine',
        input: ({ context }) => ({ modelId: context.modelId }),
        onDone: { target: 'streaming', actions: 'opened' },
        onError: { target: 'rejected', actions: { type: 'rejected', params: ({ event }) => ({ error: event.error }) } },
      },
      on: {
        CLOSE: { actions: assign({ pendingClose: true, closeReason: 'client_close' }) },
        SOCKET_GONE: { actions: assign({ pendingClose: true, closeReason: 'client_gone' }) },
        FATAL: {
          actions: [
            { type: 'sendError', params: ({ event }) => event },
            assign({ pendingClose: true, closeReason: ({ event }) => event.code, closeCode: ({ event }) => event.closeCode }),
          ],
        },
      },
    },
    streaming: {
      always: { guard: 'closeRequested', target: 'closing' },
      after: { idle: { target: 'closing', actions: assign({ closeReason: 'idle_timeout', closeCode: 1000 }) } },
      on: {
        KEEPALIVE: { target: 'streaming', reenter: true },
        ACTIVITY: { target: 'streaming', reenter: true },
        FINALIZE: { actions: 'finalizeStream' },
        CLOSE: { target: 'closing', actions: assign({ closeReason: 'client_close' }) },
        SOCKET_GONE: { target: 'closing', actions: assign({ closeReason: 'client_gone' }) },
        FATAL: {
          target: 'closing',
          actions: [{ type: 'sendError', params: ({ event }) => event }, assign({ closeReason: ({ event }) => event.code, closeCode: ({ event }) => event.closeCode })],
        },
      },
    },
    closing: {
      entry: 'closeStream',
      after: { flushTimeout: { target: 'closed', actions: assign({ closeReason: ({ context }) => `${context.closeReason}; engine did not flush`, closeCode: 1011 }) } },
      on: {
        STREAM_CLOSED: { target: 'closed', actions: assign({ audioMs: ({ event }) => event.audioMs }) },
        SOCKET_GONE: {},
      },
    },
    closed: { type: 'final', entry: 'finish' },
    rejected: { type: 'final' },
  },
});
