// bun run simulate <file.wav> [--model ID] [--realtime] [--url ws://host:port] [--frame-ms 100]
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { parseWav } from '../audio/wav';
import { streamAudio } from '../client/stream-client';

const BYTES: Record<string, number> = { pcm16: 2, float32: 4, mulaw: 1, alaw: 1 };

const { values, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  allowPositionals: true,
  options: {
    model: { type: 'string' },
    realtime: { type: 'boolean', default: false },
    url: { type: 'string', default: `ws://127.0.0.1:${process.env.PORT || 8000}` },
    'frame-ms': { type: 'string', default: '100' },
    help: { type: 'boolean', short: 'h' },
  },
});

const file = positionals[0];
if (!file || values.help) {
  console.error('usage: bun run simulate <file.wav> [--model ID] [--realtime] [--url ws://127.0.0.1:8000] [--frame-ms 100]');
  process.exit(file ? 0 : 2);
}

let wav;
try {
  wav = parseWav(new Uint8Array(readFileSync(file)));
} catch (err) {
  console.error(`${file}: ${(err as Error).message}`);
  process.exit(2);
}
if (wav.channels !== 1) {
  console.error(`${file}: ${wav.channels} channels; voxlog streams mono audio`);
  process.exit(2);
}

const frameMs = Number(values['frame-ms']);
const frameBytes = Math.max(1, Math.round((wav.sampleRate * frameMs) / 1000)) * BYTES[wav.format]!;
const base = values.url!.replace(/\/+$/, '');
const query = new URLSearchParams({ encoding: wav.format, sample_rate: String(wav.sampleRate), ...(values.model ? { model: values.model } : {}) });
const url = `${base.endsWith('/ws/transcribe') ? base : `${base}/ws/transcribe`}?${query}`;
const seconds = wav.data.length / BYTES[wav.format]! / wav.sampleRate;
console.error(`streaming ${file} (${seconds.toFixed(1)} s, ${wav.format} ${wav.sampleRate} Hz) to ${url}${values.realtime ? ' in real time' : ''}`);

const tty = process.stdout.isTTY;
const stamp = (ms: number) => `[${(ms / 1000).toFixed(2)}s]`;
try {
  const outcome = await streamAudio({
    url,
    audio: wav.data,
    frameBytes,
    intervalMs: values.realtime ? frameMs : 0,
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
  if (outcome.closeCode !== 1000) {
    console.error(`socket closed with ${outcome.closeCode} ${outcome.closeReason}`);
    process.exit(1);
  }
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
