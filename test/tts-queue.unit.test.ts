import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import { ttsQueueMachine } from '../actors/tts.machine';

/** The queue with recording actions: `started` is every synthesis launched, in order. */
function harness(limit = 2, maxTries = 3, retryBaseMs = 1000) {
  const started: string[] = [];
  const failures: string[] = [];
  const clock = new SimulatedClock();
  const machine = ttsQueueMachine.provide({
    actions: {
      synthesize: (_, p) => void started.push(`${p.hash}#${p.attempt}`),
      reportFailure: (_, p) => void failures.push(`${p.hash}#${p.attempt}:${p.retrying ? 'retry' : 'final'}`),
    },
  });
  const actor = createActor(machine, { input: { limit, maxTries, retryBaseMs }, clock });
  actor.start();
  return { actor, started, failures, clock, running: () => actor.getSnapshot().context.running };
}

describe('the TTS queue actor', () => {
  it('runs at most `limit` syntheses at once, in request order', () => {
    const q = harness(2);
    for (const h of ['a', 'b', 'c', 'd']) q.actor.send({ type: 'REQUEST', hash: h });
    expect(q.started).toEqual(['a#1', 'b#1']);
    q.actor.send({ type: 'SUCCEEDED', hash: 'b' });
    expect(q.started).toEqual(['a#1', 'b#1', 'c#1']);
    q.actor.send({ type: 'SUCCEEDED', hash: 'a' });
    q.actor.send({ type: 'SUCCEEDED', hash: 'c' });
    expect(q.started).toEqual(['a#1', 'b#1', 'c#1', 'd#1']);
    expect(q.running()).toEqual(['d']);
  });

  it('does the same audio once however often it is requested', () => {
    const q = harness(1);
    for (const h of ['a', 'a', 'b', 'a', 'b']) q.actor.send({ type: 'REQUEST', hash: h });
    q.actor.send({ type: 'SUCCEEDED', hash: 'a' });
    q.actor.send({ type: 'SUCCEEDED', hash: 'b' });
    expect(q.started).toEqual(['a#1', 'b#1']);
  });

  it('retries a transient failure after 1×, then 2× the base delay, then gives up', () => {
    const q = harness(1, 3, 1000);
    q.actor.send({ type: 'REQUEST', hash: 'a' });
    q.actor.send({ type: 'FAILED', hash: 'a', reason: 'busy', transient: true });
    expect(q.failures).toEqual(['a#1:retry']);
    q.clock.increment(999);
    expect(q.started).toEqual(['a#1']);
    q.clock.increment(1);
    expect(q.started).toEqual(['a#1', 'a#2']);
    q.actor.send({ type: 'FAILED', hash: 'a', reason: 'busy', transient: true });
    q.clock.increment(1999);
    expect(q.started).toEqual(['a#1', 'a#2']);
    q.clock.increment(1);
    expect(q.started).toEqual(['a#1', 'a#2', 'a#3']);
    q.actor.send({ type: 'FAILED', hash: 'a', reason: 'busy', transient: true });
    expect(q.failures).toEqual(['a#1:retry', 'a#2:retry', 'a#3:final']);
    q.clock.increment(60_000);
    expect(q.started).toHaveLength(3);
  });

  it('lets other work use the slot while a failed one backs off', () => {
    const q = harness(1, 3, 1000);
    q.actor.send({ type: 'REQUEST', hash: 'a' });
    q.actor.send({ type: 'REQUEST', hash: 'b' });
    q.actor.send({ type: 'FAILED', hash: 'a', reason: 'busy', transient: true });
    expect(q.started).toEqual(['a#1', 'b#1']);
    q.actor.send({ type: 'REQUEST', hash: 'a' }); // already backing off: not queued twice
    q.actor.send({ type: 'SUCCEEDED', hash: 'b' });
    q.clock.increment(1000);
    expect(q.started).toEqual(['a#1', 'b#1', 'a#2']);
  });

  it('fails a permanent error at once', () => {
    const q = harness(1, 5);
    q.actor.send({ type: 'REQUEST', hash: 'a' });
    q.actor.send({ type: 'FAILED', hash: 'a', reason: 'no such voice', transient: false });
    q.clock.increment(60_000);
    expect(q.failures).toEqual(['a#1:final']);
    expect(q.started).toEqual(['a#1']);
  });

  it('counts tries made before a restart', () => {
    const q = harness(1, 3);
    q.actor.send({ type: 'REQUEST', hash: 'a', tries: 2 });
    expect(q.started).toEqual(['a#3']);
    q.actor.send({ type: 'FAILED', hash: 'a', reason: 'busy', transient: true });
    expect(q.failures).toEqual(['a#3:final']);
  });
});
