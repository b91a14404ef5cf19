import { describe, expect, it } from 'bun:test';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { CLOSE_FLUSH_TIMEOUT_MS, sessionMachine } from '../actors/session.machine';

/** The session machine with recording actions and an engine that is ready at once (actor logic only). */
function harness(acquire: () => Promise<void> = async () => {}) {
  const log: string[] = [];
  const clock = new SimulatedClock();
  const machine = sessionMachine.provide({
    actors: { acquireEngine: fromPromise(acquire) },
    actions: {
      opened: () => log.push('opened'),
      rejected: (_, { error }) => log.push(`rejected:${(error as Error).message}`),
      emitPartial: (_, p) => log.push(`partial#${p.segment}:${p.text}`),
      emitFinal: (_, p) => log.push(`final#${p.segment}:${p.text}`),
      sendError: (_, e) => log.push(`error:${e.code}`),
      finalizeStream: () => log.push('finalize'),
      closeStream: () => log.push('closeStream'),
      finish: ({ context }) => log.push(`finish:${context.closeReason}:${context.closeCode}:${context.segment}`),
    },
  });
  const actor = createActor(machine, { input: { sessionId: 's1', modelId: 'm', idleMs: 30_000, startSegment: 0, startMs: 0 }, clock });
  actor.start();
  return { actor, log, clock, settle: () => Bun.sleep(0) };
}

const result = (text: string) => ({ text, startMs: 0, endMs: 10, latencyMs: 1 });

describe('the session actor', () => {
  it('numbers finals in order and flushes on close before finishing', async () => {
    const { actor, log, settle } = harness();
    await settle();
    actor.send({ type: 'PARTIAL', ...result('he') });
    actor.send({ type: 'FINAL', ...result('hello'), words: [], reason: 'endpoint', formatted: null });
    actor.send({ type: 'PARTIAL', ...result('wor') });
    actor.send({ type: 'CLOSE' });
    expect(actor.getSnapshot().value).toBe('closing');
    actor.send({ type: 'FINAL', ...result('world'), words: [], reason: 'close', formatted: null });
    actor.send({ type: 'STREAM_CLOSED', audioMs: 1234 });
    expect(log).toEqual(['opened', 'partial#0:he', 'final#0:hello', 'partial#1:wor', 'closeStream', 'final#1:world', 'finish:client_close:1000:2']);
    expect(actor.getSnapshot().context.audioMs).toBe(1234);
  });

  it('closes an idle session after the idle timeout, and keepalives postpone it', async () => {
    const { actor, log, clock, settle } = harness();
    await settle();
    clock.increment(20_000);
    actor.send({ type: 'KEEPALIVE' });
    clock.increment(20_000);
    expect(actor.getSnapshot().value).toBe('streaming');
    clock.increment(10_001);
    expect(actor.getSnapshot().value).toBe('closing');
    actor.send({ type: 'STREAM_CLOSED', audioMs: 0 });
    expect(log.at(-1)).toBe('finish:idle_timeout:1000:0');
  });

  it('gives up on an engine that never flushes, closing 1011', async () => {
    const { actor, log, clock, settle } = harness();
    await settle();
    actor.send({ type: 'SOCKET_GONE' });
    clock.increment(CLOSE_FLUSH_TIMEOUT_MS + 1);
    expect(log.at(-1)).toBe('finish:client_gone; engine did not flush:1011:0');
  });

  it('remembers a close that arrives while the engine is still loading', async () => {
    let release!: () => void;
    const { actor, log, settle } = harness(() => new Promise<void>((r) => (release = r)));
    actor.send({ type: 'CLOSE' });
    expect(actor.getSnapshot().value).toBe('acquiring');
    release();
    await settle();
    expect(actor.getSnapshot().value).toBe('closing');
    expect(log).toEqual(['opened', 'closeStream']);
  });

  it('reports a model that cannot be acquired and ends', async () => {
    const { actor, log, settle } = harness(async () => {
      throw new Error('no such model');
    });
    await settle();
    expect(log).toEqual(['rejected:no such model']);
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('closes with the fatal error code after sending the error', async () => {
    const { actor, log, settle } = harness();
    await settle();
    actor.send({ type: 'FATAL', code: 'frame_too_large', message: 'big', closeCode: 1009 });
    actor.send({ type: 'STREAM_CLOSED', audioMs: 0 });
    expect(log).toEqual(['opened', 'error:frame_too_large', 'closeStream', 'finish:frame_too_large:1009:0']);
  });
});
