import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LinkState } from '../web/live/connection';
import { loadClip } from './helpers/audio';
import { startTestServer, type TestServer } from './helpers/server';

// The web app's live connection, run here against a real server: the browser globals it reads are the
// page's origin and its stored token (none: auth is off on loopback).
let server: TestServer;
const dataDir = mkdtempSync(join(tmpdir(), 'voxlog-live-connection-'));

beforeAll(async () => {
  server = await startTestServer({}, dataDir);
  Object.assign(globalThis, { location: { protocol: 'http:', host: `127.0.0.1:${server.port}` }, localStorage: { getItem: () => null } });
});

afterAll(async () => {
  Reflect.deleteProperty(globalThis, 'location');
  Reflect.deleteProperty(globalThis, 'localStorage');
  await server?.dispose();
});

describe('the live page\'s connection', () => {
  it('holds the audio of an outage and sends it once the session resumes', async () => {
    const { LiveConnection } = await import('../web/live/connection');
    const states: LinkState[] = [];
    const until = async (kind: LinkState['kind'], after = 0) => {
      while (!states.slice(after).some((s) => s.kind === kind)) await Bun.sleep(20);
      return states.length;
    };
    const frames = loadClip('jfk', 'jfk.wav').pcm16;
    const frame = (n: number) => frames.slice(n * 3200, (n + 1) * 3200).buffer;
    const conn = new LiveConnection({ model: '', encoding: 'pcm16', sampleRate: 16_000 }, { onMessage: () => {}, onState: (s) => states.push(s) });
    const opened = await until('open');
    for (let n = 0; n < 10; n++) conn.send(frame(n));

    // The server goes away; 20 frames (2 s) arrive while it is down, then it comes back on the same port.
    const port = server.port;
    await server.stop();
    await until('reconnecting', opened);
    for (let n = 10; n < 30; n++) conn.send(frame(n));
    server = await startTestServer({ PORT: String(port) }, dataDir);
    await until('open', opened);
    for (let n = 30; n < 40; n++) conn.send(frame(n));
    await conn.finish();

    const log = server.store.readStream(`session-${(states.find((s) => s.kind === 'open') as { sessionId: string }).sessionId}`);
    const resumed = log.find((e) => e.type === 'SessionResumed')!;
    const closed = log.filter((e) => e.type === 'SessionClosed').at(-1)!;
    expect(resumed.type).toBe('SessionResumed');
    // Everything after the resume point: the 20 held frames and the 10 sent after, 100 ms each.
    expect((closed.data as { audio_ms: number }).audio_ms - (resumed.data as { at_ms: number }).at_ms).toBe(3000);
  }, 60_000);
});
