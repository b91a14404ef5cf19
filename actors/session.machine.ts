import { assign, fromPromise, setup } from 'xstate';
import type { Formatted, Word } from '../events/types';
import type { FinalReason } from '../src/engine/protocol';

export interface SessionContext {
  readonly sessionId: string;
  /** The model audio goes to; during a switch, still the old one until the new one takes over. */
  readonly modelId: string;
  /** The model being switched to, while switching. */
  readonly nextModelId: string | null;
  readonly idleMs: number;
  /** Number of finals so far (across resumes): the next final's segment number. */
  readonly segment: number;
  readonly partials: number;
  /** End of the session's audio timeline as the engine last reported it. */
  readonly audioMs: number;
  /** Session audio time at which the current model took over. */
  readonly modelStartMs: number;
  readonly closeReason: string | null;
  /** Close code for the socket once the session is done (1000 unless something went wrong). */
  readonly closeCode: number;
  readonly pendingClose: boolean;
  readonly oldStreamClosed: boolean;
  readonly nextEngineReady: boolean;
  readonly switchError: string | null;
}

export interface ResultData {
  readonly text: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly latencyMs: number;
}

export type SessionEvent =
  | ({ type: 'PARTIAL' } & ResultData)
  | ({ type: 'FINAL'; words: readonly Word[]; reason: FinalReason; formatted: Formatted | null; turnConfidence?: number } & ResultData)
  | { type: 'SPEECH_STARTED'; atMs: number }
  | { type: 'UTTERANCE_END'; lastWordEndMs: number; atMs: number }
  | { type: 'STREAM_CLOSED'; audioMs: number }
  | { type: 'ENGINE_ERROR'; code: string; message: string }
  | { type: 'SWITCH'; modelId: string }
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
  /** Where a resumed session continues; zero for a new one. */
  readonly startSegment: number;
  readonly startMs: number;
}

/** How long a closing session waits for the engine to flush before giving up on it. */
export const CLOSE_FLUSH_TIMEOUT_MS = 10_000;

/**
 * One WebSocket session: acquire the model's engine, stream, switch models, flush and close.
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
    emitPartial: (_, _params: ResultData & { segment: number; modelId: string }) => {},
    emitFinal: (_, _params: ResultData & { segment: number; modelId: string; words: readonly Word[]; reason: FinalReason; formatted: Formatted | null; turnConfidence?: number }) => {},
    emitSpeechStarted: (_, _params: { atMs: number; segment: number }) => {},
    emitUtteranceEnd: (_, _params: { lastWordEndMs: number; atMs: number; segment: number }) => {},
    sendError: (_, _params: { code: string; message: string }) => {},
    finalizeStream: () => {},
    closeStream: () => {},
    closeForSwitch: () => {},
    switched: () => {},
    switchFailed: () => {},
    finish: () => {},
  },
  guards: {
    closeRequested: ({ context }) => context.pendingClose,
    switchReady: ({ context }) => context.oldStreamClosed && context.nextEngineReady,
    switchFailed: ({ context }) => context.oldStreamClosed && context.switchError !== null,
  },
  delays: {
    idle: ({ context }) => context.idleMs,
    flushTimeout: CLOSE_FLUSH_TIMEOUT_MS,
  },
}).createMachine({
  id: 'session',
  initial: 'acquiring',
  context: ({ input }) => ({
    sessionId: input.sessionId,
    modelId: input.modelId,
    nextModelId: null,
    idleMs: input.idleMs,
    segment: input.startSegment,
    partials: 0,
    audioMs: input.startMs,
    modelStartMs: input.startMs,
    closeReason: null,
    closeCode: 1000,
    pendingClose: false,
    oldStreamClosed: false,
    nextEngineReady: false,
    switchError: null,
  }),
  // Results and engine errors are delivered the same way in every state that has a stream.
  on: {
    PARTIAL: {
      actions: [
        { type: 'emitPartial', params: ({ context, event }) => ({ ...event, segment: context.segment, modelId: context.modelId }) },
        assign({ partials: ({ context }) => context.partials + 1 }),
      ],
    },
    FINAL: {
      actions: [
        { type: 'emitFinal', params: ({ context, event }) => ({ ...event, segment: context.segment, modelId: context.modelId }) },
        assign({ segment: ({ context }) => context.segment + 1 }),
      ],
    },
    SPEECH_STARTED: { actions: { type: 'emitSpeechStarted', params: ({ context, event }) => ({ atMs: event.atMs, segment: context.segment }) } },
    // The utterance's last final was the segment before the next one.
    UTTERANCE_END: { actions: { type: 'emitUtteranceEnd', params: ({ context, event }) => ({ lastWordEndMs: event.lastWordEndMs, atMs: event.atMs, segment: Math.max(0, context.segment - 1) }) } },
    ENGINE_ERROR: { actions: { type: 'sendError', params: ({ event }) => event } },
    FATAL: {
      actions: [
        { type: 'sendError', params: ({ event }) => event },
        assign({ pendingClose: true, closeReason: ({ event }) => event.code, closeCode: ({ event }) => event.closeCode }),
      ],
    },
  },
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
      },
    },
    streaming: {
      always: { guard: 'closeRequested', target: 'closing' },
      after: { idle: { target: 'closing', actions: assign({ closeReason: 'idle_timeout', closeCode: 1000 }) } },
      on: {
        KEEPALIVE: { target: 'streaming', reenter: true },
        ACTIVITY: { target: 'streaming', reenter: true },
        FINALIZE: { actions: 'finalizeStream' },
        SWITCH: { target: 'switching', actions: assign({ nextModelId: ({ event }) => event.modelId }) },
        CLOSE: { target: 'closing', actions: assign({ closeReason: 'client_close' }) },
        SOCKET_GONE: { target: 'closing', actions: assign({ closeReason: 'client_gone' }) },
      },
    },
    switching: {
      entry: [assign({ oldStreamClosed: false, nextEngineReady: false, switchError: null }), 'closeForSwitch'],
      invoke: {
        src: 'acquireEngine',
        input: ({ context }) => ({ modelId: context.nextModelId! }),
        onDone: { actions: assign({ nextEngineReady: true }) },
        onError: { actions: assign({ switchError: ({ event }) => (event.error instanceof Error ? event.error.message : String(event.error)) }) },
      },
      always: [
        {
          guard: 'switchReady',
          target: 'streaming',
          actions: [
            'switched',
            assign({ modelId: ({ context }) => context.nextModelId!, modelStartMs: ({ context }) => context.audioMs, nextModelId: null }),
          ],
        },
        { guard: 'switchFailed', target: 'streaming', actions: ['switchFailed', assign({ nextModelId: null })] },
      ],
      on: {
        STREAM_CLOSED: { actions: assign({ oldStreamClosed: true, audioMs: ({ event }) => event.audioMs }) },
        // A close during a switch waits for the switch to settle, then flushes like any other.
        CLOSE: { actions: assign({ pendingClose: true, closeReason: 'client_close' }) },
        SOCKET_GONE: { actions: assign({ pendingClose: true, closeReason: 'client_gone' }) },
      },
    },
    closing: {
      entry: 'closeStream',
      after: { flushTimeout: { target: 'closed', actions: assign({ closeReason: ({ context }) => `${context.closeReason}; engine did not flush`, closeCode: 1011 }) } },
      on: {
        STREAM_CLOSED: { target: 'closed', actions: assign({ audioMs: ({ event }) => event.audioMs }) },
        SOCKET_GONE: {},
        FATAL: {},
      },
    },
    closed: { type: 'final', entry: 'finish' },
    rejected: { type: 'final' },
  },
});
