// Engine figures, against a server in its own process: RSS per loaded model (per worker count),
// how long a session's audio is held during a model switch (cold and warm), worker restart time.
// usage: bun bench/engines.ts
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav } from '../src/audio/wav';
import { sharedDir } from '../src/config';
import type { ServerMessage } from '../src/server/protocol';

const STREAMING = 'tiny-streaming-lstm-ctc-en';
const OFFLINE = 'tiny-offline-bigru-ctc-en';
const clip = parseWav(new Uint8Array(readFileSync(join(sharedDir()!, 'audio', 'synthetic-seen', 'seen_0001_rms.wav')))).data;

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function startServer(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'voxlog-bench-eng-'));
  const port = 20000 + Math.floor(Math.random() * 1000);
  const proc = Bun.spawn(['bun', 'src/main.ts'], { cwd: join(import.meta.dir, '..'), env: { ...process.env, ...env, PORT: String(port), VOXLOG_DATA_DIR: dataDir }, stdout: 'ignore', stderr: 'ignore' });
  for (let i = 0; i < 100 && !(await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok).catch(() => false)); i++) await Bun.sleep(100);
  return { port, proc, stop: async () => (proc.kill(), await proc.exited, rmSync(dataDir, { recursive: true, force: true })) };
}

/** Opens a session, optionally switches model after the clip, and returns every message. */
function session(port: number, model: string, switchTo?: string): Promise<ServerMessage[]> {
  return new Promise((resolve) => {
    const messages: ServerMessage[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/transcribe?model=${model}`);
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as ServerMessage;
      messages.push(m);
      if (m.type === 'ready') {
        for (let at = 0; at < clip.length; at += 3200) ws.send(clip.subarray(at, at + 3200));
        if (switchTo) ws.send(JSON.stringify({ model_id: switchTo }));
        for (let at = 0; at < clip.length; at += 3200) ws.send(clip.subarray(at, at + 3200));
        ws.send(JSON.stringify({ type: 'close' }));
      }
    };
    ws.onclose = () => resolve(messages);
  });
}

console.log(`engine figures (Bun ${Bun.version}, ${navigator.hardwareConcurrency} cores)`);
for (const workers of [1, 2]) {
  const s = await startServer({ VOXLOG_WORKERS_PER_MODEL: String(workers) });
  await Bun.sleep(300);
  const idle = rssMb(s.proc.pid);
  await session(s.port, STREAMING);
  await Bun.sleep(300);
  const withStreaming = rssMb(s.proc.pid);
  const switched = await session(s.port, STREAMING, OFFLINE);
  await Bun.sleep(300);
  const withBoth = rssMb(s.proc.pid);
  const warm = await session(s.port, STREAMING, OFFLINE);
  const waited = (ms: ServerMessage[]) => ms.find((m): m is Extract<ServerMessage, { type: 'model_switched' }> => m.type === 'model_switched')?.waited_ms;
  console.log(
    `${workers} worker(s)/model: server RSS idle ${idle.toFixed(0)} MB; +${(withStreaming - idle).toFixed(0)} MB with ${STREAMING} loaded; +${(withBoth - withStreaming).toFixed(0)} MB more with ${OFFLINE} (+ Silero VAD)`,
  );
  console.log(`  audio held during a switch to ${OFFLINE}: ${waited(switched)} ms cold (probe + load), ${waited(warm)} ms warm (already loaded)`);
  await s.stop();
}
