// Turns on the real server and the default model: finals soon after speech stops, at real time;
// endpointing_ms, finalize and utterance_end as the protocol says; the turn events in the log.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { ServerMessage } from '../src/server/protocol';
import { concat, loadClip } from './helpers/audio';
import { eventually, finals, ofType, openSocket, startTestServer, stream, type TestServer } from './helpers/server';

type Final = Extract<ServerMessage, { type: 'final' }>;

/**
 * End of speech → final on these clips at real time measured 230-470 ms (bench section 15 has the
 * distribution); the model's own rule took 1.3-1.8 s. The bound leaves room for a loaded CI machine.
 */
const FINAL_WITHIN_MS = 1000;

/** PCM16 bytes of ±30 LSB of fixed pseudo-random noise: a quiet room, not digital silence. */
function quiet(seconds: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(Math.round(seconds * 16000) * 2);
  const view = new DataView(out.buffer);
  let s = 9;
  for (let i = 0; i < out.length; i += 2) view.setInt16(i, Math.round(((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1) * 30), true);
  return out;
}

/** A clip cut to its speech (50 ms either side of its first and last loud sample), as PCM16 bytes. */
function speechOf(file: string): Uint8Array<ArrayBuffer> {
  const c = loadClip('librispeech', file);
  const loud = (x: number) => Math.abs(x) > 0.05;
  const first = Math.max(0, c.samples.findIndex(loud) - 800);
  const last = Math.min(c.samples.length, c.samples.findLastIndex(loud) + 800);
  return c.pcm16.slice(first * 2, last * 2);
}

const A = speechOf('1089-134686-0001.wav');
const B = speechOf('1089-134691-0000.wav');
/** Speech, a pause of `gap` seconds, speech, then 1.5 s of quiet. */
const twoPhrases = (gap: number) => concat([quiet(0.5), A, quiet(gap), B, quiet(1.5)]);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ VOXLOG_DEFAULT_MODEL: '' });
});
afterAll(() => server.dispose());

describe('turns on the default model', () => {
  it('sends each final soon after the speech stops, at real time, with speech_started before and utterance_end after', async () => {
    const audio = twoPhrases(1.5);
    const s = openSocket(server.wsUrl());
    await s.opened;
    const arrived = new Map<ServerMessage, number>();
    s.ws.addEventListener('message', () => arrived.set(s.messages.at(-1)!, performance.now()));
    const t0 = performance.now();
    for (let i = 0; i * 3200 < audio.length; i++) {
      const wait = t0 + (i + 1) * 100 - performance.now();
      if (wait > 0) await Bun.sleep(wait);
      s.ws.send(audio.subarray(i * 3200, (i + 1) * 3200));
    }
    s.ws.send(JSON.stringify({ type: 'close' }));
    await s.closed;
    const fs = finals(s.messages).filter((f) => f.reason === 'endpoint');
    expect(fs.length).toBe(2);
    for (const f of fs) {
      expect(f.end_of_utterance).toBe(true);
      // Audio time x was spoken at t0 + x: the final came within the bound of its last word.
      expect(arrived.get(f)! - (t0 + f.words.at(-1)!.end_ms)).toBeLessThan(FINAL_WITHIN_MS);
    }
    const types = s.messages.map((m) => m.type).filter((t) => t === 'speech_started' || t === 'final' || t === 'utterance_end');
    expect(types).toEqual(['speech_started', 'final', 'utterance_end', 'speech_started', 'final', 'utterance_end']);
    const ends = ofType(s.messages, 'utterance_end');
    ends.forEach((e, i) => expect(e.last_word_end_ms).toBe(fs[i]!.words.at(-1)!.end_ms));
    // The turn events are in the log, in the order the client saw them.
    const ready = ofType(s.messages, 'ready')[0]!;
    const events = await eventually(async () => {
      const body = (await (await fetch(`${server.url}/api/v1/sessions/${ready.session_id}/events`)).json()) as { events: { type: string }[] };
      const list = body.events;
      return list.some((e) => e.type === 'SessionClosed') && list;
    });
    expect(events.map((e) => e.type).filter((t) => t === 'SpeechStarted' || t === 'SegmentFinalized' || t === 'UtteranceEnded')).toEqual(['SpeechStarted', 'SegmentFinalized', 'UtteranceEnded', 'SpeechStarted', 'SegmentFinalized', 'UtteranceEnded']);
  });

  it('keeps a phrase whole across a pause shorter than endpointing_ms, set in the query or by config', async () => {
    const audio = twoPhrases(0.6);
    const count = async (query: Record<string, string>) => finals((await stream(server.wsUrl(query), audio)).messages).length;
    expect(await count({ endpointing_ms: '1000' })).toBe(1);
    expect(await count({ endpointing_ms: '200' })).toBe(2);
    // The same by config, mid-session: it applies to the audio after it.
    const s = openSocket(server.wsUrl());
    await s.opened;
    s.ws.send(JSON.stringify({ type: 'config', endpointing_ms: 1000 }));
    await s.next('ready');
    s.ws.send(audio);
    s.ws.send(JSON.stringify({ type: 'close' }));
    await s.closed;
    expect(finals(s.messages).length).toBe(1);
  });

  it('refuses endpointing settings it cannot honour, with the reason', async () => {
    for (const bad of ['5', '6000', 'soon']) {
      const s = openSocket(server.wsUrl({ endpointing_ms: bad }));
      expect((await s.next('error')).message).toContain('endpointing_ms');
      await s.closed;
    }
    const s = openSocket(server.wsUrl());
    await s.opened;
    s.ws.send(JSON.stringify({ type: 'config', vad: 'no' }));
    expect((await s.next('error')).message).toContain('vad');
    s.ws.close();
  });

  it('answers finalize with a final of exactly the audio before it, before any result of the audio after it', async () => {
    const audio = concat([quiet(0.3), A, B]);
    const cut = 16000 * 2 * 2; // two seconds in: mid-speech
    const s = openSocket(server.wsUrl());
    await s.opened;
    s.ws.send(audio.subarray(0, cut));
    s.ws.send(JSON.stringify({ type: 'finalize' }));
    s.ws.send(audio.subarray(cut));
    s.ws.send(JSON.stringify({ type: 'close' }));
    await s.closed;
    const results = s.messages.filter((m) => m.type === 'partial' || m.type === 'final') as (Final | Extract<ServerMessage, { type: 'partial' }>)[];
    const at = results.findIndex((m) => m.type === 'final' && m.reason === 'finalize');
    expect(at).toBeGreaterThanOrEqual(0);
    const f = results[at] as Final;
    // All the audio before it (less a pause the detector was holding back, which the next segment gets).
    expect(f.end_ms).toBeLessThanOrEqual(2000);
    expect(f.end_ms).toBeGreaterThan(1500);
    expect(f.end_of_utterance).toBe(false);
    // Nothing before it covers audio after the cut; nothing after it overlaps it.
    for (const m of results.slice(0, at)) expect(m.end_ms).toBeLessThanOrEqual(2000);
    for (const m of results.slice(at + 1)) expect(m.start_ms).toBeGreaterThanOrEqual(f.end_ms);
  });

  it('with vad=false decodes every sample and ends segments by the model rule, as before', async () => {
    const audio = concat([twoPhrases(0.6), quiet(1.5)]);
    const out = await stream(server.wsUrl({ vad: 'false' }), audio);
    // 0.6 s is under the rule's 1.2 s of trailing blanks: one segment, no speech_started until words come.
    expect(finals(out.messages).length).toBe(1);
    expect(ofType(out.messages, 'utterance_end').length).toBe(1);
  });
});
