import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { FRAME_BYTES, loadClip } from './helpers/audio';
import { finals, ofType, openSocket, startTestServer, stream, type TestServer } from './helpers/server';

const OFFLINE = 'tiny-offline-bigru-ctc-en';
/** Segment starts land on Silero's 32 ms windows; speech onset must be kept to within one. */
const WINDOW_MS = 32;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.dispose());

// librispeech/1.wav is loud speech from 0.42 s on, and a word is under way at 2.0 s.
const clip = loadClip('librispeech', '1.wav');
const at = (s: number) => Math.round(s * 16000) * 2;

describe('speech under way when an offline stream opens', () => {
  it('is kept from the first sample of a clip that starts mid-speech', async () => {
    const out = await stream(server.wsUrl({ model: OFFLINE }), clip.pcm16.subarray(at(0.42)));
    const first = finals(out.messages)[0]!;
    // Unprimed, Silero let the first 158 ms of this speech go.
    expect(first.start_ms).toBeLessThanOrEqual(WINDOW_MS);
  });

  it('is kept from the moment of a switch to an offline model mid-word', async () => {
    const s = openSocket(server.wsUrl({ model: 'tiny-streaming-lstm-ctc-en' }));
    await s.next('ready');
    const send = (bytes: Uint8Array<ArrayBuffer>) => {
      for (let i = 0; i < bytes.length; i += FRAME_BYTES) s.ws.send(bytes.subarray(i, i + FRAME_BYTES));
    };
    send(clip.pcm16.subarray(0, at(2.0)));
    s.ws.send(JSON.stringify({ type: 'config', model_id: OFFLINE }));
    send(clip.pcm16.subarray(at(2.0)));
    s.ws.send(JSON.stringify({ type: 'close' }));
    await s.closed;
    const switched = ofType(s.messages, 'model_switched')[0]!;
    const offline = finals(s.messages).filter((f) => f.model_id === OFFLINE);
    expect(switched.at_ms).toBe(2000);
    // Unprimed, the offline model's first segment began 62 ms after the switch, mid-word.
    expect(offline[0]!.start_ms - switched.at_ms).toBeLessThanOrEqual(WINDOW_MS);
    // The two models' segments meet without a gap or overlap at the switch.
    const streamingLast = finals(s.messages).filter((f) => f.model_id !== OFFLINE).at(-1)!;
    expect(streamingLast.end_ms).toBeLessThanOrEqual(offline[0]!.start_ms);
  });
});
