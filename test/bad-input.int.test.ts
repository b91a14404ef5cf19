import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { concat, FRAME_BYTES, loadClip, silence, STREAMING_MODEL } from './helpers/audio';
import { directDecode } from './helpers/direct';
import { eventually, finals, ofType, openSocket, startTestServer, stream, type TestServer } from './helpers/server';

const MAX_FRAME = 64_000;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ VOXLOG_MAX_FRAME_BYTES: String(MAX_FRAME) });
});
afterAll(() => server.dispose());

const clip = () => loadClip('synthetic-seen', 'seen_0006_kal16.wav');
const sendFrames = (ws: WebSocket, audio: Uint8Array<ArrayBuffer>, frameBytes = FRAME_BYTES) => {
  for (let at = 0; at < audio.length; at += frameBytes) ws.send(audio.subarray(at, at + frameBytes));
};
const sessionEvents = (sessionId: string) => server.store.readStream(`session-${sessionId}`);

describe('malformed control messages', () => {
  it('answers each with an error and keeps transcribing the session', async () => {
    const s = openSocket(server.wsUrl());
    await s.next('ready');
    s.ws.send('this is not json');
    s.ws.send('[1, 2, 3]');
    s.ws.send('{"type":"dance"}');
    s.ws.send('{"kind":"finalize"}');
    const c = clip();
    sendFrames(s.ws, c.pcm16);
    s.ws.send(JSON.stringify({ type: 'close' }));
    expect((await s.closed).code).toBe(1000);
    expect(ofType(s.messages, 'error').map((e) => e.code)).toEqual(['invalid_json', 'invalid_message', 'unknown_message_type', 'invalid_message']);
    expect(ofType(s.messages, 'error')[2]!.message).toContain('"dance"');
    expect(ofType(s.messages, 'error')[3]!.message).toStartWith('message has no type');
    expect(finals(s.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(STREAMING_MODEL, c.pcm16, FRAME_BYTES));
  });
});

describe('binary frames that split samples', () => {
  it('carries the odd byte into the next frame, losing nothing', async () => {
    const c = clip();
    const out = await stream(server.wsUrl(), c.pcm16, 3201);
    expect(ofType(out.messages, 'error')).toEqual([]);
    expect(finals(out.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(STREAMING_MODEL, c.pcm16, FRAME_BYTES));
  });

  it('reports a dangling half sample at close', async () => {
    const out = await stream(server.wsUrl(), concat([clip().pcm16, new Uint8Array([7])]));
    expect(ofType(out.messages, 'error').map((e) => e.code)).toEqual(['incomplete_sample']);
    expect(out.closeCode).toBe(1000);
  });
});

describe('a frame over the size limit', () => {
  it('gets frame_too_large, closes 1009, and keeps what was already finalized', async () => {
    const s = openSocket(server.wsUrl());
    const ready = await s.next('ready');
    sendFrames(s.ws, concat([clip().pcm16, silence(2)]));
    const first = await s.next('final');
    s.ws.send(new Uint8Array(MAX_FRAME + 2));
    const closed = await s.closed;
    expect(closed.code).toBe(1009);
    expect(ofType(s.messages, 'error').map((e) => e.code)).toEqual(['frame_too_large']);
    const rows = (await (await fetch(`${server.url}/api/v1/history?session_id=${ready.session_id}`)).json()) as { items: { content: string }[] };
    expect(rows.items.map((r) => r.content)).toContain(first.text);
    const last = sessionEvents(ready.session_id).at(-1)!;
    expect(last.type === 'SessionClosed' && last.data.reason).toBe('frame_too_large');
  });
});

describe('audio after close', () => {
  it('is refused with session_closing while the session flushes', async () => {
    const s = openSocket(server.wsUrl());
    await s.next('ready');
    sendFrames(s.ws, clip().pcm16);
    s.ws.send(JSON.stringify({ type: 'close' }));
    s.ws.send(new Uint8Array(FRAME_BYTES));
    expect((await s.closed).code).toBe(1000);
    expect(ofType(s.messages, 'error').map((e) => e.code)).toEqual(['session_closing']);
    expect(finals(s.messages).length).toBeGreaterThan(0);
    expect(s.messages.at(-1)!.type).toBe('closed');
  });
});

describe('asking for a model or format the server cannot serve', () => {
  it('rejects an unknown model id with unknown_model and close 1008, logging nothing', async () => {
    const before = server.store.readAll(0, 1e9).length;
    const s = openSocket(server.wsUrl({ model: 'no-such-model' }));
    const err = await s.next('error');
    expect(err.code).toBe('unknown_model');
    expect(err.message).toContain('no-such-model');
    expect(err.message).toContain('models that can run here: ');
    expect((await s.closed).code).toBe(1008);
    expect(server.store.readAll(0, 1e9).length).toBe(before);
  });

  it('says how to get a catalog model that is not on disk, closing 1011', async () => {
    const s = openSocket(server.wsUrl({ model: 'sherpa-onnx-streaming-zipformer-en-20M-2023-02-17' }));
    const err = await s.next('error');
    expect(err.code).toBe('model_unavailable');
    expect(err.message).toContain('bun run models pull');
    // Answered as every surface answers it: with the models that can run instead.
    expect(err.message).toContain('models that can run here: ');
    expect((await s.closed).code).toBe(1011);
  });

  it('rejects an unknown encoding or sample rate with close 1003', async () => {
    for (const query of [{ encoding: 'mp3' }, { sample_rate: '7999' }, { sample_rate: '96001' }, { sample_rate: '16000.5' }] as Record<string, string>[]) {
      const s = openSocket(server.wsUrl(query));
      expect((await s.next('error')).code).toBe('invalid_audio_format');
      expect((await s.closed).code).toBe(1003);
    }
  });
});

describe('a client that vanishes mid-segment', () => {
  it('has its open segment finalized into the log while other sessions carry on', async () => {
    const other = clip();
    const bystander = stream(server.wsUrl(), concat([other.pcm16, other.pcm16]), 1600);
    const s = openSocket(server.wsUrl());
    const ready = await s.next('ready');
    const c = loadClip('synthetic-seen', 'seen_0009_kal16.wav');
    sendFrames(s.ws, c.pcm16.subarray(0, c.pcm16.length - 16000));
    await s.next('partial', (p) => p.text.length > 10);
    // Bun's client can drop the TCP connection without a close handshake, like a crashed client.
    (s.ws as WebSocket & { terminate(): void }).terminate();
    const closed = await eventually(() => sessionEvents(ready.session_id).find((e) => e.type === 'SessionClosed'));
    expect(closed.type === 'SessionClosed' && closed.data.reason).toBe('client_gone');
    const last = sessionEvents(ready.session_id).filter((e) => e.type === 'SegmentFinalized').at(-1);
    expect(last?.type === 'SegmentFinalized' && last.data.reason).toBe('close');
    expect(last?.type === 'SegmentFinalized' && last.data.text.length).toBeGreaterThan(10);

    const out = await bystander;
    expect(out.closeCode).toBe(1000);
    expect(finals(out.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(STREAMING_MODEL, concat([other.pcm16, other.pcm16]), 1600));
  });
});
