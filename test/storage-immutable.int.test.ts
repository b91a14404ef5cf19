// A data directory that stops taking writes under a running server (made immutable, as chattr +i
// does) must cost sessions their writes, never the process: no file the server writes is mapped
// into memory, where the kernel answers a refused write with SIGBUS.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concat, FRAME_BYTES, loadClip, silence, STREAMING_MODEL } from './helpers/audio';
import { eventually, startServerProcess, type ServerProcess } from './helpers/server';

/** Sets or clears the immutable flag on the directory and everything in it but sockets (which have no flags). */
const chattr = (flag: '+i' | '-i', dir: string) => {
  const r = Bun.spawnSync(['find', dir, '(', '-type', 'f', '-o', '-type', 'd', ')', '-exec', 'chattr', flag, '{}', '+']);
  if (r.exitCode !== 0) throw new Error(`chattr ${flag} ${dir}: ${r.stderr.toString()}`);
};

describe('a data directory made immutable under live sessions (server in its own process)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'voxlog-immutable-'));
  let server: ServerProcess;
  let url: string;
  beforeAll(async () => {
    server = await startServerProcess({ VOXLOG_DEFAULT_MODEL: STREAMING_MODEL, VOXLOG_MAX_INTAKE_RATE: '1000' }, dataDir);
    url = server.url;
  });
  afterAll(async () => {
    chattr('-i', dataDir);
    await server.stop();
  });

  it('maps no file of its log into memory (no -shm WAL index)', () => {
    expect(existsSync(join(dataDir, 'voxlog.sqlite'))).toBe(true);
    expect(readdirSync(dataDir).filter((f) => f.endsWith('-shm'))).toEqual([]);
  });

  it('keeps running: sessions hear log_write_failed, /health answers 503, and both recover when it is writable again', async () => {
    const clip = concat([loadClip('synthetic-seen', 'seen_0006_kal16.wav').pcm16, silence(2)]);
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws/transcribe`);
    const messages: { type: string; code?: string }[] = [];
    ws.onmessage = (e) => messages.push(JSON.parse(String(e.data)));
    const closed = new Promise<number>((r) => (ws.onclose = (e) => r(e.code)));
    await new Promise((r) => (ws.onopen = r));
    const send = () => {
      for (let at = 0; at < clip.length && ws.readyState === 1; at += FRAME_BYTES) ws.send(clip.subarray(at, at + FRAME_BYTES));
    };
    send();
    await eventually(() => messages.some((m) => m.type === 'final'));
    chattr('+i', dataDir);
    for (let i = 0; i < 10 && ws.readyState === 1; i++) {
      send();
      await Bun.sleep(300);
    }
    expect(await closed).toBe(1011);
    expect(messages.filter((m) => m.type === 'error').map((m) => m.code)).toContain('log_write_failed');
    await eventually(async () => (await fetch(`${url}/health`)).status === 503, 10_000);
    expect(server.proc.exitCode).toBeNull();
    expect(server.proc.signalCode).toBeNull();

    chattr('-i', dataDir);
    await eventually(async () => (await fetch(`${url}/health`)).status === 200, 10_000);
    const again = new WebSocket(`${url.replace(/^http/, 'ws')}/ws/transcribe`);
    const ready = await new Promise<{ type: string }>((r) => (again.onmessage = (e) => r(JSON.parse(String(e.data)))));
    expect(ready.type).toBe('ready');
    again.close();
  }, 60_000);
});
