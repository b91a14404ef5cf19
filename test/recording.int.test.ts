// Sessions keep their audio only when the client asks (record=true): one WAV on the session's own
// timeline, served to players, carried on by a resume; nothing is kept otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseWav } from '../src/audio/wav';
import { concat, loadClip, silence } from './helpers/audio';
import { finals, ofType, openSocket, startTestServer, stream, type TestServer } from './helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ VOXLOG_DEFAULT_MODEL: 'gigaspeech-zipformer-3.3M-en' });
});
afterAll(() => server.dispose());

const ws = (query: string) => `${server.url.replace('http', 'ws')}/ws/transcribe?${query}`;
const session = async (id: string) => (await (await fetch(`${server.url}/api/v1/sessions/${id}`)).json()) as { recorded: boolean; audio_ms: number; segments: { content: string; written_words: { word: string; start_ms: number; end_ms: number }[] | null }[] };

describe('a session opened with record=true', () => {
  it('keeps exactly the audio it was sent, as a WAV whose timeline its word times point into', async () => {
    const clip = loadClip('jfk', 'jfk.wav');
    const out = await stream(ws('record=true'), concat([clip.pcm16, silence(0.5)]));
    expect(out.closeCode).toBe(1000);
    const id = ofType(out.messages, 'ready')[0]!.session_id;
    const detail = await session(id);
    expect(detail.recorded).toBe(true);
    const res = await fetch(`${server.url}/api/v1/sessions/${id}/audio`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    const wav = parseWav(new Uint8Array(await res.arrayBuffer()));
    expect(wav).toMatchObject({ format: 'pcm16', sampleRate: 16000, channels: 1 });
    // Byte for byte what the client sent.
    expect(Buffer.from(wav.data).equals(Buffer.from(concat([clip.pcm16, silence(0.5)])))).toBe(true);
    // The written words carry times on that timeline, within the audio.
    const words = detail.segments.flatMap((s) => s.written_words ?? []);
    expect(words.length).toBeGreaterThan(10);
    expect(words.map((w) => w.word).join(' ')).toBe(detail.segments.map((s) => s.content).join(' '));
    for (const w of words) expect(w.end_ms).toBeLessThanOrEqual(detail.audio_ms);
    // A player's range request.
    const part = await fetch(`${server.url}/api/v1/sessions/${id}/audio`, { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect((await part.arrayBuffer()).byteLength).toBe(100);
  });

  it('carries on the same recording when the session is resumed', async () => {
    const first = await stream(ws('record=true'), silence(1));
    const id = ofType(first.messages, 'ready')[0]!.session_id;
    const resumed = await stream(ws(`session_id=${id}`), silence(0.5));
    expect(resumed.closeCode).toBe(1000);
    const wav = parseWav(new Uint8Array(await (await fetch(`${server.url}/api/v1/sessions/${id}/audio`)).arrayBuffer()));
    expect(wav.data.length).toBe(48_000);
  });

  it('ends the recording where a config changes the sample rate, saying so, and keeps the session going', async () => {
    const s = openSocket(ws('record=true'));
    const ready = await s.next('ready');
    s.ws.send(silence(0.5));
    s.ws.send(JSON.stringify({ type: 'config', sample_rate: 8000 }));
    await s.next('ready', (m) => m.sample_rate === 8000);
    s.ws.send(new Uint8Array(8000));
    expect((await s.next('error')).code).toBe('recording_stopped');
    s.ws.send(JSON.stringify({ type: 'close' }));
    expect((await s.closed).code).toBe(1000);
    const wav = parseWav(new Uint8Array(await (await fetch(`${server.url}/api/v1/sessions/${ready.session_id}/audio`)).arrayBuffer()));
    expect(wav).toMatchObject({ sampleRate: 16000 });
    expect(wav.data.length).toBe(16_000);
  });

  it('keeps nothing without record=true, and refuses a bad value or a late start', async () => {
    const before = readdirSync(join(server.dataDir, 'sessions')).length;
    const out = await stream(ws(''), silence(0.5));
    const id = ofType(out.messages, 'ready')[0]!.session_id;
    expect((await session(id)).recorded).toBe(false);
    const none = await fetch(`${server.url}/api/v1/sessions/${id}/audio`);
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: { message: string } }).error.message).toContain('record=true');
    expect(readdirSync(join(server.dataDir, 'sessions')).length).toBe(before);
    const bad = await stream(ws('record=yes'), silence(0.1));
    expect(ofType(bad.messages, 'error')[0]).toMatchObject({ code: 'invalid_request' });
    const late = await stream(ws(`session_id=${id}&record=true`), silence(0.1));
    expect(ofType(late.messages, 'error')[0]!.message).toContain('record=true applies to new sessions');
    expect(existsSync(join(server.dataDir, 'sessions', `${id}.wav`))).toBe(false);
    expect(finals(out.messages).length).toBe(0);
  });
});

describe('the sessions list', () => {
  it("shows each session's first words", async () => {
    const clip = loadClip('jfk', 'jfk.wav');
    const out = await stream(ws(''), concat([clip.pcm16, silence(0.5)]));
    const id = ofType(out.messages, 'ready')[0]!.session_id;
    const list = (await (await fetch(`${server.url}/api/v1/sessions?limit=50`)).json()) as { items: { id: string; first_words: string | null }[] };
    const row = list.items.find((s) => s.id === id)!;
    expect(row.first_words).toBe(finals(out.messages).map((f) => f.text).join(' ').slice(0, 120));
  });
});
