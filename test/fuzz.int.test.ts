import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import fc from 'fast-check';
import { streamAudio } from '../src/client/stream-client';
import { CLIENT_MESSAGE_TYPES, type ServerMessage } from '../src/server/protocol';
import { FRAME_BYTES, loadClip, STREAMING_MODEL } from './helpers/audio';
import { directDecode } from './helpers/direct';
import { finals, openSocket, startTestServer, type OpenSocket, type TestServer } from './helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ VOXLOG_MAX_FRAME_BYTES: '4096' });
});
afterAll(() => server.dispose());

// Every type in src/server/protocol.ts's ServerMessage (finalized answers a fuzzed finalize; utterance_end follows speech).
const SERVER_TYPES = ['ready', 'speech_started', 'model_switched', 'partial', 'final', 'finalized', 'utterance_end', 'error', 'closed'];
const DELIBERATE_CLOSES = [1000, 1003, 1007, 1008, 1009];
const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.constantFrom('0x3E80', '16000', '1e4', -1, 8000, 48000, 'pcm16', 'mulaw'));
/** Text frames a careless or hostile client might send: junk, JSON of any shape, control messages with wrong fields. */
const textFrame = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  fc.record({ type: fc.oneof(fc.constantFrom(...CLIENT_MESSAGE_TYPES.filter((t) => t !== 'close')), fc.string(), anyValue) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
  fc
    .record(
      { type: fc.constant('config'), sample_rate: anyValue, encoding: anyValue, min_silence_ms: anyValue, max_segment_ms: anyValue, interim_ms: anyValue, model_id: fc.oneof(anyValue, fc.constant(STREAMING_MODEL)) },
      { requiredKeys: ['type'] },
    )
    .map((o) => JSON.stringify(o)),
);
/** Binary frames of any length (odd ones split samples; some exceed the 4096-byte frame limit). */
const binaryFrame = fc.oneof({ arbitrary: fc.uint8Array({ maxLength: 4096 }), weight: 20 }, { arbitrary: fc.uint8Array({ minLength: 4097, maxLength: 6000 }), weight: 1 });

describe('malformed frames, property-based (3000 cases)', () => {
  it('are each answered or refused with a deliberate close, never crash a session or the server, and a good session beside them is unaffected', async () => {
    const clip = loadClip('synthetic-seen', 'seen_0006_kal16.wav').pcm16;
    const good = streamAudio({ url: server.wsUrl(), audio: clip, frameBytes: FRAME_BYTES, paceBytesPerSecond: 32000 * 2 });
    const sockets: OpenSocket[] = [];
    let current: OpenSocket | undefined;
    const socket = async () => {
      if (!current || current.ws.readyState !== WebSocket.OPEN) {
        current = openSocket(server.wsUrl());
        sockets.push(current);
        await current.opened;
      }
      return current;
    };
    await fc.assert(
      fc.asyncProperty(fc.oneof(textFrame, binaryFrame), async (frame) => {
        const s = await socket();
        s.ws.send(frame as string | Uint8Array<ArrayBuffer>);
        await Bun.sleep(0);
      }),
      { numRuns: 3000 },
    );
    for (const s of sockets) if (s.ws.readyState === WebSocket.OPEN) s.ws.send('{"type":"close"}');
    const closes = await Promise.all(sockets.map((s) => s.closed));
    const outcome = await good;

    for (const c of closes) expect(DELIBERATE_CLOSES).toContain(c.code);
    const answers: ServerMessage[] = sockets.flatMap((s) => s.messages);
    for (const m of answers) expect(SERVER_TYPES).toContain(m.type);
    for (const m of answers.filter((m) => m.type === 'error')) expect(m).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    console.log(`fuzz: 3000 frames over ${sockets.length} socket(s); ${answers.filter((m) => m.type === 'error').length} errors answered; closes ${[...new Set(closes.map((c) => c.code))].join(', ')}`);
    expect(outcome.closeCode).toBe(1000);
    expect(finals(outcome.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(STREAMING_MODEL, clip, FRAME_BYTES));
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  }, 120_000);
});

describe('numeric query parameters, property-based', () => {
  it('answer 200 or 400, never 500, whatever the value', async () => {
    const routes = ['/api/v1/sessions', '/api/v1/history', '/api/v1/events', '/api/v1/sessions/x/events'];
    const params = ['limit', 'offset', 'after', 'from_version'];
    const value = fc.oneof(fc.integer().map(String), fc.double().map(String), fc.string({ maxLength: 30 }), fc.constantFrom('99999999999999999999', '-0', '1e308', 'NaN', '0x10', '9007199254740993', ''));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.constantFrom(...params), value, async (route, param, v) => {
        const res = await fetch(`${server.url}${route}?${new URLSearchParams({ [param]: v })}`);
        expect([200, 400, 404]).toContain(res.status);
        const body = (await res.json()) as { error?: { code: string } };
        if (res.status === 400) expect(body.error?.code).toBe('validation_failed');
      }),
      { numRuns: 600 },
    );
    const huge = await fetch(`${server.url}/api/v1/sessions?offset=99999999999999999999`);
    expect(huge.status).toBe(400);
  }, 60_000);
});

describe('malformed frames through every vendor adapter, property-based', () => {
  // Each protocol's own message names, with fields of any shape: what a buggy or hostile client of it sends.
  const adapters = [
    { path: '/v1/listen', types: ['KeepAlive', 'Finalize', 'Nope'], end: '{"type":"CloseStream"}' },
    { path: '/v3/ws?sample_rate=16000', types: ['ForceEndpoint', 'KeepAlive', 'UpdateConfiguration', 'Nope'], end: '{"type":"Terminate"}' },
    { path: '/v2/listen?model=flux-general-en', types: ['Configure', 'Nope'], end: '{"type":"CloseStream"}' },
    { path: '/v1/realtime?intent=transcription', types: ['input_audio_buffer.append', 'input_audio_buffer.commit', 'input_audio_buffer.clear', 'session.update', 'transcription_session.update', 'response.create'], end: '{"type":"input_audio_buffer.commit"}' },
    { path: '/vosk', types: [], end: '{"eof":1}' },
    { path: '/sherpa', types: [], end: 'Done' },
  ];
  const fields = fc.dictionary(fc.constantFrom('audio', 'session', 'thresholds', 'end_of_turn_confidence_threshold', 'min_turn_silence', 'max_turn_silence', 'config', 'reset', 'eof'), fc.oneof(anyValue, fc.json({ maxDepth: 2 }).map((j) => JSON.parse(j)), fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b).toString('base64'))), { maxKeys: 3 });
  // Codes a deliberate close may carry: voxlog's own, and AssemblyAI's for bad input (3006) and a frame too big (3007).
  const closes = [...DELIBERATE_CLOSES, 3006, 3007];

  it('are answered in each protocol\'s shape or refused with a deliberate close, and never take the server down', async () => {
    for (const a of adapters) {
      const frame = fc.oneof(
        textFrame,
        fc.record({ type: a.types.length > 0 ? fc.constantFrom(...a.types) : fc.string({ maxLength: 10 }), extra: fields }).map(({ type, extra }) => JSON.stringify({ ...extra, type })),
        fields.map((f) => JSON.stringify(f)),
        binaryFrame,
      );
      const sockets: WebSocket[] = [];
      const texts: string[] = [];
      const ended: Promise<number>[] = [];
      let current: WebSocket | undefined;
      await fc.assert(
        fc.asyncProperty(frame, async (f) => {
          if (!current || current.readyState !== WebSocket.OPEN) {
            const ws = new WebSocket(`${server.url.replace('http', 'ws')}${a.path}`);
            ws.onmessage = (e) => texts.push(String(e.data));
            ended.push(new Promise((r) => ws.addEventListener('close', (e) => r(e.code))));
            await new Promise((r) => ws.addEventListener('open', r));
            sockets.push((current = ws));
          }
          current.send(f as string | Uint8Array<ArrayBuffer>);
          await Bun.sleep(0);
        }),
        { numRuns: 300 },
      );
      for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.send(a.end);
      // OpenAI's socket stays open after a commit: the client ends it.
      await Bun.sleep(300);
      for (const ws of sockets) if (ws.readyState === WebSocket.OPEN && a.path.startsWith('/v1/realtime')) ws.close(1000);
      const codes = await Promise.all(ended);
      for (const c of codes) expect({ path: a.path, code: closes.includes(c) ? 'deliberate' : c }).toEqual({ path: a.path, code: 'deliberate' });
      for (const t of texts) if (t !== 'Done!') expect(() => JSON.parse(t)).not.toThrow();
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    }
  }, 180_000);
});
