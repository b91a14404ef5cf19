// Memory returns after load: clients that connect, get ready and leave, by the hundred, leave the
// server's RSS where it was (server in its own process, on the real default model).
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForListening } from './helpers/server';

const CYCLES = 600;
const AT_ONCE = 20;
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe(`${CYCLES} connect / ready / disconnect cycles, ${AT_ONCE} at a time`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'voxlog-churn-'));
  let proc: ReturnType<typeof Bun.spawn>;
  let url: string;
  beforeAll(async () => {
    proc = Bun.spawn(['bun', join(import.meta.dir, '..', 'src', 'main.ts')], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', VOXLOG_DATA_DIR: dataDir, VOXLOG_MAX_SOCKETS_PER_IP: '1000', VOXLOG_HTTP_RATE_LIMIT: '1000000' },
      stdout: 'pipe',
      stderr: 'ignore',
    });
    url = `${(await waitForListening(proc as { stdout: ReadableStream<Uint8Array> })).url.replace(/^http/, 'ws')}/ws/transcribe`;
  });
  afterAll(async () => {
    proc.kill();
    await proc.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const cycle = () =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(url);
      ws.onmessage = (e) => JSON.parse(String(e.data)).type === 'ready' && ws.close();
      ws.onclose = () => resolve();
    });

  it('leave RSS within 50 MiB of where it started once they end', async () => {
    await cycle(); // the model loads: that memory is the baseline
    await Bun.sleep(2_000);
    const before = rssMiB(proc.pid);
    let started = 0;
    await Promise.all(Array.from({ length: AT_ONCE }, async () => {
      while (started++ < CYCLES) await cycle();
    }));
    const peak = rssMiB(proc.pid);
    // Closed sessions are collected within seconds: the engine collects at once, the main thread when idle.
    let after = peak;
    for (let i = 0; i < 60 && after - before >= 25; i++) {
      await Bun.sleep(500);
      after = rssMiB(proc.pid);
    }
    console.log(`churn: ${CYCLES} cycles, RSS ${before.toFixed(0)} MiB before, ${peak.toFixed(0)} at the end, ${after.toFixed(0)} settled`);
    expect(after - before).toBeLessThan(50);
  }, 120_000);
});
