// Finals written as text (punctuation, case, numbers as figures) on a real server with the real
// recogniser and the shipped punctuation model; the recogniser's own words stay beside them.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { wordErrorRate } from '../src/scoring/wer';
import { loadClip } from './helpers/audio';
import { finals, openSocket, startTestServer, stream, type TestServer } from './helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.dispose());

const clip = () => loadClip('librispeech', '1089-134686-0000.wav');

describe('finals written as text (format, on by default)', () => {
  it('sends written text, the recogniser\'s text beside it, and written words timed from the spoken ones', async () => {
    const { messages } = await stream(server.wsUrl(), clip().pcm16);
    const fs = finals(messages).filter((f) => f.words.length > 0);
    expect(fs.length).toBeGreaterThan(0);
    for (const f of fs) {
      expect(f.raw_text).toBe(f.words.map((w) => w.word).join(' '));
      // Written, not shouted: lower-case letters, and the first word of the session capitalised.
      expect(f.text).toMatch(/[a-z]/);
      expect(f.formatted_words!.map((w) => w.word).join(' ')).toBe(f.text);
      for (const w of f.formatted_words!) {
        expect(f.words.some((s) => s.start_ms === w.start_ms)).toBe(true);
        expect(f.words.some((s) => s.end_ms === w.end_ms)).toBe(true);
      }
    }
    expect(fs[0]!.text.charAt(0)).toMatch(/[A-Z]/);
    expect(fs.at(-1)!.text).toMatch(/[.?]$/);
    // Formatting changes how words are written, not which: the same words as the recogniser's, case and marks aside.
    const written = fs.map((f) => f.text).join(' ');
    const raw = fs.map((f) => f.raw_text).join(' ');
    expect(wordErrorRate(raw, written).errors).toBe(0);
  });

  it('keeps the recogniser\'s text with format=false, as before', async () => {
    const { messages } = await stream(server.wsUrl({ format: 'false' }), clip().pcm16);
    const fs = finals(messages).filter((f) => f.words.length > 0);
    for (const f of fs) {
      expect(f.text).toBe(f.text.toUpperCase());
      expect(f.raw_text).toBeUndefined();
      expect(f.formatted_words).toBeUndefined();
    }
  });

  it('refuses a format it does not know, naming the values it takes', async () => {
    const s = openSocket(server.wsUrl({ format: 'fancy' }));
    expect((await s.next('error')).message).toContain('format "fancy" must be true, false, "punctuate" or "numerals"');
    await s.closed;
  });

  it('logs the recogniser\'s words and the written text, and the history shows the written text', async () => {
    const { messages } = await stream(server.wsUrl(), clip().pcm16);
    const sessionId = (messages[0] as { session_id: string }).session_id;
    const logged = server.store.readStream(`session-${sessionId}`).filter((e) => e.type === 'SegmentFinalized');
    expect(logged.length).toBeGreaterThan(0);
    for (const e of logged) {
      if (e.type !== 'SegmentFinalized') continue;
      expect(e.data.text).toBe(e.data.text.toUpperCase());
      expect(e.data.formatted?.text).toMatch(/[a-z]/);
    }
    const res = await fetch(`${server.url}/api/v1/sessions/${sessionId}`);
    const body = JSON.stringify(await res.json());
    const first = logged[0]!;
    expect(body).toContain(first.type === 'SegmentFinalized' ? first.data.formatted!.text : 'a SegmentFinalized');
  });
});
