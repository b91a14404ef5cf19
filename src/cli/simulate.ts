// bun run simulate <audio file> [--model ID] [--realtime] [--url ws://host:port] [--frame-ms 100]
import { AudioInputError, openAudio, type AudioInput } from '../audio/input';
import { ConnectionError, streamAudio } from '../client/stream-client';
import { fail, numberFlag, parseCli } from './args';
import { PROGRAM } from '../program';

const USAGE = `usage: ${PROGRAM} simulate <audio file> [--model ID] [--realtime] [--url ws://127.0.0.1:8000] [--frame-ms 100]

Streams an audio file to a voxlog server like a live client and prints partials, finals and the summary.
Any WAV (PCM 8/16/24/32-bit or float, any channels, any rate) is read directly; mp3, flac, ogg/opus,
m4a/aac, webm and the rest go through ffmpeg (Debian package ffmpeg). Multi-channel audio is down-mixed.

  --model ID      catalog model (default: the server's default model)
  --realtime      send audio at the pace it would be spoken
  --url URL       the server (default ws://127.0.0.1:$PORT, PORT defaulting to 8000)
  --frame-ms N    audio per WebSocket frame in ms, 10 to 1000 (default 100)
  --pace X        otherwise send at most X times real time after the first 10 s (default 3: the
                  server refuses audio faster than VOXLOG_MAX_INTAKE_RATE, 4 by default)
  --token T       a JWT or API key when the server has auth on (default: $VOXLOG_TOKEN)

Exit codes: 0 done, 1 the server or connection failed, 2 bad arguments or a file that is not audio.`;

const { values, positionals } = parseCli(USAGE, {
  model: { type: 'string' },
  realtime: { type: 'boolean', default: false },
  url: { type: 'string', default: `ws://127.0.0.1:${process.env.PORT || 8000}` },
  'frame-ms': { type: 'string' },
  pace: { type: 'string' },
  token: { type: 'string', default: process.env.VOXLOG_TOKEN },
});
const file = positionals[0];
if (!file) fail(USAGE);
if (positionals.length > 1) fail(`one file at a time; got ${positionals.length}\n${USAGE}`);
const frameMs = numberFlag('frame-ms', values['frame-ms'], 100, 10, 1000);
const pace = numberFlag('pace', values.pace, 3, 0.1, 100_000);
if (!/^(ws|wss|http|https):\/\//.test(values.url!)) fail(`--url ${JSON.stringify(values.url)} must be a ws:// or http:// URL`);

let input: AudioInput;
try {
  input = await openAudio(file);
} catch (err) {
  fail(err instanceof AudioInputError ? err.message : `${file}: ${String(err)}`);
}

// A mono WAV in a wire encoding goes out byte for byte, as a browser or telephony bridge would send
// it; anything else is sent as PCM16 at the rate the audio input module delivers.
const encoding = input.wire?.encoding ?? 'pcm16';
const bytesPerSample = { pcm16: 2, float32: 4, mulaw: 1, alaw: 1 }[encoding];
const audio = input.wire ? input.wire.bytes() : toPcm16(input.chunks());
const frameBytes = Math.max(1, Math.round((input.sampleRate * frameMs) / 1000)) * bytesPerSample;
const base = values.url!.replace(/^http/, 'ws').replace(/\/+$/, '');
const query = new URLSearchParams({ encoding, sample_rate: String(input.sampleRate), ...(values.model ? { model: values.model } : {}) });
const url = `${base.endsWith('/ws/transcribe') ? base : `${base}/ws/transcribe`}?${query}`;
const length = input.durationS === undefined ? '' : `${input.durationS.toFixed(1)} s, `;
console.error(`streaming ${file} (${length}${input.description}) as ${encoding} ${input.sampleRate} Hz to ${url}${values.realtime ? ' in real time' : ''}`);

const tty = process.stdout.isTTY;
const stamp = (ms: number) => `[${(ms / 1000).toFixed(2)}s]`;
try {
  const outcome = await streamAudio({
    url,
    audio,
    frameBytes,
    intervalMs: values.realtime ? frameMs : 0,
    paceBytesPerSecond: values.realtime ? undefined : pace * input.sampleRate * bytesPerSample,
    paceAfterBytes: 10 * input.sampleRate * bytesPerSample,
    token: values.token || undefined,
    onMessage: (m, at) => {
      switch (m.type) {
        case 'ready':
          return console.log(`${stamp(at)} ready: session ${m.session_id}, model ${m.model_id}`);
        case 'partial':
          return tty ? process.stdout.write(`\r\x1b[2K${stamp(at)} … ${m.text}`) : console.log(`${stamp(at)} partial #${m.segment}: ${m.text}`);
        case 'final':
          return console.log(`${tty ? '\r\x1b[2K' : ''}${stamp(at)} final #${m.segment} [${m.start_ms}-${m.end_ms} ms, ${m.latency_ms} ms latency]: ${m.text}`);
        case 'error':
          return console.log(`${stamp(at)} error ${m.code}: ${m.message}`);
        case 'closed':
          return console.log(`${stamp(at)} closed: ${m.segments} segments, ${m.audio_ms} ms audio, ${m.duration_ms} ms session (${m.reason})`);
      }
    },
  });
  if (outcome.closeCode !== 1000) fail(`socket closed with ${outcome.closeCode} ${outcome.closeReason}`, 1);
} catch (err) {
  // The server's own advice names a header; the person at this terminal has a flag and a variable.
  const credentials = err instanceof ConnectionError && (err.status === 401 || err.status === 403);
  const message = credentials
    ? `the server refused the session (${err.status}): ${values.token ? 'it did not accept the token' : 'it has auth on and no token was given'}; pass --token T or set VOXLOG_TOKEN (a JWT or an API key)`
    : (err as Error).message;
  fail(message, err instanceof AudioInputError ? 2 : 1);
}

/** Float32 samples to little-endian PCM16, clipped. */
async function* toPcm16(chunks: AsyncIterable<Float32Array>): AsyncGenerator<Uint8Array> {
  for await (const c of chunks) {
    const out = new Int16Array(c.length);
    for (let i = 0; i < c.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(c[i]! * 32768)));
    yield new Uint8Array(out.buffer);
  }
}
