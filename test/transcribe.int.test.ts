import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pooled, wordErrorRate, type ErrorRate } from '../src/scoring/wer';
import { AUDIO_DIR, concat, FRAME_BYTES, loadClip, silence, STREAMING_MODEL } from './helpers/audio';
import { directDecode } from './helpers/direct';
import { finals, ofType, startTestServer, stream, type TestServer } from './helpers/server';

/** Measured for the streaming test model on synthetic-seen: WER 0.66 (shared/models/README.md); margin for our endpointing. */
const SEEN_WER_CEILING = 0.8;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.dispose());

const seen = readdirSync(join(AUDIO_DIR, 'synthetic-seen')).filter((f) => f.endsWith('.wav')).sort();

describe('streaming a clip over /ws/transcribe', () => {
  it('returns the same transcript as a direct sherpa-onnx decode, with partials before the final', async () => {
    const clip = loadClip('synthetic-seen', seen[1]!);
    const out = await stream(server.wsUrl({ model: STREAMING_MODEL }), clip.pcm16);
    expect(out.closeCode).toBe(1000);
    const types = out.messages.map((m) => m.type);
    expect(types[0]).toBe('ready');
    expect(types.at(-1)).toBe('closed');
    expect(types.indexOf('partial')).toBeGreaterThan(0);
    expect(types.indexOf('partial')).toBeLessThan(types.indexOf('final'));
    expect(finals(out.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(STREAMING_MODEL, clip.pcm16, FRAME_BYTES));
    for (const m of [...ofType(out.messages, 'partial'), ...finals(out.messages)]) {
      expect(m.is_final).toBe(m.type === 'final');
      expect(m.model_id).toBe(STREAMING_MODEL);
      expect(m.end_ms).toBeGreaterThanOrEqual(m.start_ms);
      expect(m.latency_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it(`keeps word error rate on the seen-voice set under ${SEEN_WER_CEILING} and equal to direct decoding`, async () => {
    const rates: ErrorRate[] = [];
    for (let i = 0; i < seen.length; i += 4) {
      const clips = seen.slice(i, i + 4).map((f) => loadClip('synthetic-seen', f));
      const outs = await Promise.all(clips.map((c) => stream(server.wsUrl(), c.pcm16)));
      for (const [j, clip] of clips.entries()) {
        const got = finals(outs[j]!.messages).map((f) => f.raw_text ?? f.text);
        expect(got).toEqual(await directDecode(STREAMING_MODEL, clip.pcm16, FRAME_BYTES));
        rates.push(wordErrorRate(clip.reference, got.join(' ')));
      }
    }
    const wer = pooled(rates);
    console.log(`synthetic-seen through the server: ${seen.length} clips, WER ${wer.rate.toFixed(3)} (${wer.errors}/${wer.reference})`);
    expect(wer.reference).toBeGreaterThan(300);
    expect(wer.rate).toBeLessThan(SEEN_WER_CEILING);
  });

  it('splits speech separated by silence into numbered segments at endpoints', async () => {
    const a = loadClip('synthetic-seen', seen[2]!);
    const b = loadClip('synthetic-seen', seen[5]!);
    const audio = concat([silence(1), a.pcm16, silence(2), b.pcm16, silence(2)]);
    const out = await stream(server.wsUrl(), audio);
    const fs = finals(out.messages);
    expect(fs.map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(STREAMING_MODEL, audio, FRAME_BYTES));
    expect(fs.length).toBe(2);
    expect(fs.map((f) => f.segment)).toEqual([0, 1]);
    // The first segment ends before the second speech starts; the second lies after it.
    expect(fs[0]!.end_ms).toBeLessThanOrEqual(fs[1]!.start_ms + 320);
    expect(fs[1]!.start_ms).toBeGreaterThan(1000 + (a.pcm16.length / 32));
    for (const f of fs) {
      expect(f.words.length).toBeGreaterThan(0);
      expect(f.words.map((w) => w.word).join(' ')).toBe(f.raw_text ?? f.text);
      for (const w of f.words) {
        expect(w.start_ms).toBeGreaterThanOrEqual(f.start_ms);
        expect(w.end_ms).toBeLessThanOrEqual(f.end_ms);
      }
    }
    const closed = ofType(out.messages, 'closed')[0]!;
    expect(closed.segments).toBe(2);
    expect(closed.audio_ms).toBe(Math.round(audio.length / 32));
  });

  it('gives three simultaneous sessions each their own transcript', async () => {
    const clips = [seen[3]!, seen[7]!, seen[11]!].map((f) => loadClip('synthetic-seen', f));
    const outs = await Promise.all(clips.map((c) => stream(server.wsUrl(), c.pcm16, 1600)));
    const ids = new Set(outs.map((o) => ofType(o.messages, 'ready')[0]!.session_id));
    expect(ids.size).toBe(3);
    const direct: string[][] = [];
    for (const clip of clips) direct.push(await directDecode(STREAMING_MODEL, clip.pcm16, 1600));
    clips.forEach((_, i) => expect(finals(outs[i]!.messages).map((f) => f.raw_text ?? f.text)).toEqual(direct[i]!));
    // The three direct transcripts differ, so a mix-up could not pass unnoticed.
    expect(new Set(direct.map((d) => d.join(' '))).size).toBe(3);
  });
});

describe('audio sent before ready', () => {
  it('is held, transcribed, and never lets a message overtake ready', async () => {
    const clip = loadClip('synthetic-seen', seen[19]!);
    // streamAudio sends everything the moment the socket opens, long before `ready` can arrive.
    const outs = await Promise.all(Array.from({ length: 10 }, () => stream(server.wsUrl(), clip.pcm16)));
    for (const out of outs) {
      expect(out.messages[0]!.type).toBe('ready');
      expect(finals(out.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(STREAMING_MODEL, clip.pcm16, FRAME_BYTES));
    }
  });
});

describe('the event log behind a session', () => {
  it('records opened, changed partials, finals and closed, and serves every final as history', async () => {
    const clip = loadClip('synthetic-seen', seen[4]!);
    const out = await stream(server.wsUrl(), concat([clip.pcm16, silence(2), clip.pcm16]));
    const sessionId = ofType(out.messages, 'ready')[0]!.session_id;
    const events = server.store.readStream(`session-${sessionId}`);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('SessionOpened');
    expect(types.at(-1)).toBe('SessionClosed');
    expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));

    const partials = events.filter((e) => e.type === 'PartialTranscribed');
    expect(partials.length).toBe(ofType(out.messages, 'partial').length);
    // Only changed text is recorded.
    partials.forEach((p, i) => i > 0 && expect(p.data).not.toEqual(partials[i - 1]!.data));

    const logged = events.flatMap((e) => (e.type === 'SegmentFinalized' ? [e.data] : []));
    const sent = finals(out.messages);
    // The log keeps the recogniser's words and the written text the client got.
    expect(logged.map((d) => [d.segment, d.text, d.formatted?.text ?? d.text, d.start_ms, d.end_ms])).toEqual(sent.map((f) => [f.segment, f.raw_text ?? f.text, f.text, f.start_ms, f.end_ms]));

    const res = await fetch(`${server.url}/api/v1/history?session_id=${sessionId}`);
    const body = (await res.json()) as { items: { content: string; session_id: string; model_id: string; latency_ms: number }[]; total: number };
    expect(body.total).toBe(sent.length);
    expect(body.items.map((r) => r.content)).toEqual(sent.map((f) => f.text).reverse());
    expect(body.items.every((r) => r.session_id === sessionId && r.model_id === STREAMING_MODEL)).toBe(true);
  });
});
