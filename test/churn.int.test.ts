// Memory returns after load: clients that connect, get ready and leave, by the hundred, leave the
// server's RSS where it was (server in its own process, on the real default model).
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { startServerProcess, type ServerProcess } from './helpers/server';

const CYCLES = 600;
const AT_ONCE = 20;
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe(`${CYCLES} connect / ready / disconnect cycles, ${AT_ONCE} at a time`, () => {
  let server: ServerProcess;
  let url: string;
  beforeAll(async () => {
    server = await startServerProcess({ VOXLOG_MAX_SOCKETS_PER_IP: '1000', VOXLOG_HTTP_RATE_LIMIT: '1000000' });
    url = `${server.url.replace(/^http/, 'ws')}/ws/transcribe`;
  });
  afterAll(() => server.stop());

  const cycle = () =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(url);
      ws.onmessage = (e) => JSON.parse(String(e.data)).type === 'ready' && ws.close();
      ws.onclose = () => resolve();
    });

  it('leave RSS within 50 MiB of where it started once they end', async () => {
    await cycle(); // the model loads: that memory is the baseline
    await Bun.sleep(2_000);
    const before = rssMiB(server.proc.pid);
    let started = 0;
    await Promise.all(Array.from({ length: AT_ONCE }, async () => {
      while (started++ < CYCLES) await cycle();
    }));
    const peak = rssMiB(server.proc.pid);
    // Closed sessions are collected within seconds: the engine collects at once, the main thread when idle.
    let after = peak;
    for (let i = 0; i < 60 && after - before >= 25; i++) {
      await Bun.sleep(500);
      after = rssMiB(server.proc.pid);
    }
    console.log(`churn: ${CYCLES} cycles, RSS ${before.toFixed(0)} MiB before, ${peak.toFixed(0)} at the end, ${after.toFixed(0)} settled`);
    expect(after - before).toBeLessThan(50);
  }, 120_000);
});
