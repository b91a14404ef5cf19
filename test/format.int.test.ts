// Finals written as text (punctuation, case, numbers as figures) on a real server with the real
// recogniser and the shipped punctuation model; the recogniser's own words stay beside them.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSync } from 'subtitle';
import { WebVTTParser } from 'webvtt-parser';
import { wordErrorRate } from '../src/scoring/wer';
import { AUDIO_DIR, loadClip, references } from './helpers/audio';
import { finals, openSocket, startTestServer, stream, type TestServer } from './helpers/server';

let server: TestServer;
beforeAll(async () => {
  // The real English recogniser (the default when on disk), as a person reading the transcript would have.
  server = await startTestServer({ VOXLOG_DEFAULT_MODEL: '' });
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
      expect(f.text).toBe(f.words.map((w) => w.word).join(' '));
      expect(f.raw_text).toBeUndefined();
      expect(f.formatted_words).toBeUndefined();
    }
  });

  it('keeps writing finals after a config that needs a new stream (a change of endpointing)', async () => {
    // The stream's close and its reopening under the same id once raced: the close forgot the new one, and every final after it came raw.
    const s = openSocket(server.wsUrl());
    await s.opened;
    await s.next('ready');
    s.ws.send(JSON.stringify({ type: 'config', endpointing_ms: 350 }));
    const audio = clip().pcm16;
    for (let i = 0; i < audio.length; i += 3200) s.ws.send(audio.subarray(i, i + 3200));
    s.ws.send(JSON.stringify({ type: 'close' }));
    await s.closed;
    const fs = finals(s.messages).filter((f) => f.words.length > 0);
    expect(fs.length).toBeGreaterThan(0);
    for (const f of fs) expect(f.formatted_words?.map((w) => w.word).join(' ')).toBe(f.text);
    expect(fs.at(-1)!.text).toMatch(/[a-z][^]*[.?]$/);
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
      expect(e.data.text).toBe(e.data.words.map((w) => w.word).join(' '));
      expect(e.data.formatted?.text).toMatch(/[a-z]/);
    }
    const res = await fetch(`${server.url}/api/v1/sessions/${sessionId}`);
    const body = JSON.stringify(await res.json());
    const first = logged[0]!;
    expect(body).toContain(first.type === 'SegmentFinalized' ? first.data.formatted!.text : 'a SegmentFinalized');
  });
});

const JFK = readFileSync(join(AUDIO_DIR, 'jfk', 'jfk.wav'));
const JFK_REFERENCE = references('jfk').get('jfk')!;
/** Written words: something lower case, and a sentence that ends with a mark. */
const WRITTEN = /^[A-Z][^]*[a-z][^]*[.?]$/;

async function submitJob(format?: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([JFK]), 'jfk.wav');
  if (format !== undefined) form.append('format', format);
  const res = await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', body: form });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  await server.jobs.finished(id);
  return id;
}

describe('files written as text: jobs, OpenAI and Deepgram', () => {
  it('writes a job\'s transcript in txt, json, srt and vtt, with the recogniser\'s words beside each segment', async () => {
    const id = await submitJob();
    const { segments } = (await (await fetch(`${server.url}/api/v1/jobs/${id}/segments`)).json()) as { segments: { text: string; raw_text: string; words: { word: string }[] }[] };
    expect(segments.length).toBeGreaterThan(0);
    for (const s of segments) {
      expect(s.words.map((w) => w.word).join(' ')).toBe(s.text);
      expect(wordErrorRate(s.raw_text, s.text).errors).toBe(0);
    }
    const txt = await (await fetch(`${server.url}/api/v1/jobs/${id}/download?format=txt`)).text();
    expect(txt.trim()).toMatch(WRITTEN);
    expect(wordErrorRate(JFK_REFERENCE, txt).rate).toBeLessThan(0.15); // measured 0.09 raw; the same words written
    const srt = parseSync(await (await fetch(`${server.url}/api/v1/jobs/${id}/download?format=srt`)).text()).filter((n) => n.type === 'cue');
    const cueText = srt.map((n) => (n.data as { text: string }).text.replaceAll('\n', ' ')).join(' ');
    expect(cueText).toBe(segments.map((s) => s.text).join(' '));
    const { cues, errors } = new WebVTTParser().parse(await (await fetch(`${server.url}/api/v1/jobs/${id}/download?format=vtt`)).text(), 'metadata');
    expect(errors).toEqual([]);
    expect(cues.map((c: { text: string }) => c.text.replaceAll('\n', ' ')).join(' ')).toBe(cueText);
    const json = (await (await fetch(`${server.url}/api/v1/jobs/${id}/download?format=json`)).json()) as { text: string };
    expect(json.text).toBe(segments.map((s) => s.text).join(' '));
  });

  it('keeps a job\'s words as the recogniser gave them with format=false, and refuses a format it does not know', async () => {
    const id = await submitJob('false');
    const { segments } = (await (await fetch(`${server.url}/api/v1/jobs/${id}/segments`)).json()) as { segments: { text: string; raw_text: string }[] };
    for (const s of segments) expect(s.text).toBe(s.raw_text);
    const form = new FormData();
    form.append('file', new Blob([JFK]), 'jfk.wav');
    form.append('format', 'fancy');
    const res = await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', body: form });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('format must be true, false, "punctuate" or "numerals"');
  });

  it('answers OpenAI\'s transcription route with written text, as Whisper does', async () => {
    const form = new FormData();
    form.append('file', new Blob([JFK]), 'jfk.wav');
    form.append('model', 'whisper-1');
    form.append('response_format', 'verbose_json');
    const body = (await (await fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', body: form })).json()) as { text: string; segments: { text: string }[] };
    expect(body.text).toMatch(WRITTEN);
    expect(body.segments.map((s) => s.text).join(' ')).toBe(body.text);
  });

  it('streams OpenAI\'s deltas as written text, which add up to the done text', async () => {
    const form = new FormData();
    form.append('file', new Blob([JFK]), 'jfk.wav');
    form.append('stream', 'true');
    const body = await (await fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', body: form })).text();
    const events = body.split('\n\n').filter((b) => b.startsWith('data: ')).map((b) => JSON.parse(b.slice(6)) as { type: string; delta?: string; text?: string });
    const deltas = events.filter((e) => e.type === 'transcript.text.delta').map((e) => e.delta!);
    expect(deltas.length).toBeGreaterThan(0);
    const done = events.find((e) => e.type === 'transcript.text.done')!;
    expect(done.text).toMatch(WRITTEN);
    expect(deltas.join('')).toBe(done.text ?? '');
  });

  it('writes Deepgram\'s pre-recorded transcript with smart_format, and leaves it lower case without', async () => {
    const listen = async (query: string) =>
      (await (await fetch(`${server.url}/v1/listen?${query}`, { method: 'POST', headers: { 'content-type': 'audio/wav' }, body: JFK })).json()) as { results: { channels: { alternatives: { transcript: string; words: { word: string; punctuated_word: string }[] }[] }[] } };
    const smart = (await listen('smart_format=true')).results.channels[0]!.alternatives[0]!;
    expect(smart.transcript).toMatch(WRITTEN);
    expect(smart.words.map((w) => w.punctuated_word).join(' ')).toBe(smart.transcript);
    const plain = (await listen('model=nova-3')).results.channels[0]!.alternatives[0]!;
    expect(plain.transcript).toBe(plain.transcript.toLowerCase());
    expect(plain.transcript).not.toMatch(/[.,?]/);
    expect(wordErrorRate(plain.transcript, smart.transcript).errors).toBe(0);
  });
});
