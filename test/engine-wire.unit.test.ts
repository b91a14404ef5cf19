import { describe, expect, it } from 'bun:test';
import fc from 'fast-check';
import type { FromWorker, ToWorker } from '../src/engine/protocol';
import { encodeFromEngine, encodeToEngine, engineSideReader, serverSideReader } from '../src/engine/wire';
import { concat } from './helpers/audio';

/** Cuts `bytes` at the given sizes, in a loop, as a socket may deliver them. */
function chunks(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}

describe('the engine process protocol', () => {
  it('carries audio as the client sent it and control messages, under any chunking', () => {
    const toEngine = fc.oneof(
      fc.record({ type: fc.constant('audio' as const), streamId: fc.string({ minLength: 1, maxLength: 20 }), seq: fc.nat(), pcm: fc.uint8Array({ maxLength: 400 }), encoding: fc.constantFrom('pcm16' as const, 'mulaw' as const, 'alaw' as const, 'float32' as const), sampleRate: fc.integer({ min: 8000, max: 96000 }) }),
      fc.record({ type: fc.constant('finalize' as const), streamId: fc.string({ maxLength: 20 }), seq: fc.nat() }),
      fc.record({ type: fc.constant('exit' as const), code: fc.nat({ max: 255 }) }),
    );
    fc.assert(
      fc.property(fc.array(toEngine, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 10 }), (sent, sizes) => {
        const reader = engineSideReader();
        const got: ToWorker[] = chunks(concat(sent.map((m) => encodeToEngine(m as ToWorker))), sizes).flatMap((c) => [...reader.push(c)]);
        expect(got.map((m) => (m.type === 'audio' ? { ...m, pcm: Array.from(m.pcm) } : m))).toEqual(sent.map((m) => (m.type === 'audio' ? { ...m, pcm: Array.from(m.pcm) } : m)));
      }),
    );
  });

  it('carries per-frame answers in binary and results as JSON, and refuses a frame it cannot read', () => {
    const sent: FromWorker[] = [
      { type: 'consumed', streamId: 'a-b', audioMs: 100, busyMs: 1.25, batch: 7 },
      { type: 'partial', streamId: 'a-b', seq: 3, text: 'héllo', startMs: 0, endMs: 320 },
    ];
    const bytes = concat(sent.map(encodeFromEngine));
    expect(bytes.length).toBeLessThan(5 + 18 + 3 + JSON.stringify(sent[1]).length + 10);
    expect([...serverSideReader().push(bytes)]).toEqual(sent);
    expect(() => [...serverSideReader().push(new Uint8Array([0, 0, 0, 0, 9]))]).toThrow('engine frame of 0 bytes');
    expect(() => [...serverSideReader().push(new Uint8Array([1, 0, 0, 0, 9]))]).toThrow('unknown engine frame kind 9');
  });
});
