// Real-time concurrency on one engine worker: N clients stream speech at 1x speed to a server
// running in its own process. Prints partial lag, first-partial and final latency per N.
// usage: bun bench/concurrency.ts [--levels 1,4,16,64] [--seconds 12]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseWav } from '../src/audio/wav';
import { sharedDir } from '../src/config';
import type { ServerMessage } from '../src/server/protocol';

const { values } = parseArgs({ args: Bun.argv.slice(2), options: { levels: { type: 'string', default: '1,4,16,32,64' }, seconds: { type: 'string', default: '12' } } });
const levels = values.levels!.split(',').map(Number);
const seconds = Number(values.seconds);
const FRAME_MS = 100;
const FRAME_BYTES = 3200;

const audioDir = join(sharedDir()!, 'audio', 'synthetic-seen');
const clips = readdirSync(audioDir).filter((f) => f.endsWith('.wav')).sort().map((f) => parseWav(new Uint8Array(readFileSync(join(audioDir, f)))).data);
const silence = new Uint8Array(32000 * 1.5);
/** Speech, 1.5 s of silence, speech, ... long enough for `seconds` of audio per client. */
function programme(offset: number): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  let bytes = 0;
  for (let i = offset; bytes < seconds * 32000; i++) {
    const c = clips[i % clips.length]!;
    parts.push(c, silence);
    bytes += c.length + silence.length;
  }
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out.subarray(0, seconds * 32000);
}

const pct = (xs: number[], p: number) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!);

async function client(url: string, audio: Uint8Array<ArrayBuffer>) {
  const lags: number[] = [];
  const finalLatency: number[] = [];
  let firstPartial = NaN;
  let t0 = 0;
  await new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.onerror = () => reject(new Error('socket error'));
    ws.onclose = () => resolve();
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as ServerMessage;
      const now = performance.now() - t0;
      if (m.type === 'partial') {
        if (Number.isNaN(firstPartial)) firstPartial = now;
        lags.push(now - m.end_ms); // arrival minus the audio time the partial covers
      }
      if (m.type === 'final') finalLatency.push(m.latency_ms);
    };
    ws.onopen = async () => {
      t0 = performance.now();
      // Like a microphone: a frame is sent once its 100 ms of audio has been "recorded".
      for (let i = 0; i * FRAME_BYTES < audio.length; i++) {
        const wait = t0 + (i + 1) * FRAME_MS - performance.now();
        if (wait > 0) await Bun.sleep(wait);
        ws.send(audio.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES));
      }
      ws.send(JSON.stringify({ type: 'close' }));
    };
  });
  return { lags, finalLatency, firstPartial };
}

const dataDir = mkdtempSync(join(tmpdir(), 'voxlog-bench-'));
const port = 18000 + Math.floor(Math.random() * 1000);
const server = Bun.spawn(['bun', 'src/main.ts'], { cwd: join(import.meta.dir, '..'), env: { ...process.env, PORT: String(port), VOXLOG_DATA_DIR: dataDir }, stdout: 'ignore', stderr: 'inherit' });
try {
  for (let i = 0; i < 50; i++) {
    if (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok).catch(() => false)) break;
    await Bun.sleep(100);
  }
  const url = `ws://127.0.0.1:${port}/ws/transcribe`;
  await client(url, programme(0).subarray(0, 32000)); // load the model before measuring
  console.log(`one engine worker, ${seconds} s of speech per client at 1x, ${FRAME_MS} ms frames; server and load generator in separate processes on ${navigator.hardwareConcurrency} cores`);
  console.log('clients | partial lag p50 / p95 / p99 ms | first partial ms p50 | final latency_ms p50 / p95 | server CPU %');
  for (const n of levels) {
    const cpu0 = readCpu(server.pid);
    const w0 = performance.now();
    const results = await Promise.all(Array.from({ length: n }, (_, i) => client(url, programme(i))));
    const cpu = ((readCpu(server.pid) - cpu0) / ((performance.now() - w0) / 1000)) * 100;
    const lags = results.flatMap((r) => r.lags);
    const finals = results.flatMap((r) => r.finalLatency);
    const first = results.map((r) => r.firstPartial);
    console.log(
      `${String(n).padStart(7)} | ${[50, 95, 99].map((p) => pct(lags, p).toFixed(0)).join(' / ').padStart(29)} | ${pct(first, 50).toFixed(0).padStart(20)} | ${[50, 95].map((p) => pct(finals, p).toFixed(0)).join(' / ').padStart(25)} | ${cpu.toFixed(0).padStart(12)}`,
    );
  }
} finally {
  server.kill();
  await server.exited;
  rmSync(dataDir, { recursive: true, force: true });
}

/** CPU seconds used so far by a process (user + system), from /proc. */
function readCpu(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
