import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { AUDIO_DIR } from './helpers/audio';
import { startTestServer, type TestServer } from './helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.dispose());

/** Runs the CLI as a user would; asynchronously, since the server lives in this process. */
const simulate = async (...args: string[]) => {
  const p = Bun.spawn(['bun', 'run', 'simulate', ...args], { cwd: join(import.meta.dir, '..'), stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
};

describe('bun run simulate', () => {
  it('streams a WAV file like a live client and prints partials, finals and the summary', async () => {
    const r = await simulate(join(AUDIO_DIR, 'synthetic-seen', 'seen_0001_rms.wav'), '--url', `ws://127.0.0.1:${server.port}`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ready: session \w+, model tiny-streaming-lstm-ctc-en/);
    expect(r.out).toMatch(/partial #0: \S+/);
    expect(r.out).toMatch(/final #0 \[\d+-\d+ ms, \d+ ms latency\]: \S+/);
    expect(r.out).toMatch(/closed: 1 segments, 42\d\d ms audio/);
  });

  it('streams 8 kHz audio, declaring its rate', async () => {
    const r = await simulate(join(AUDIO_DIR, 'librispeech', '8k.wav'), '--url', `ws://127.0.0.1:${server.port}`);
    expect(r.code).toBe(0);
    expect(r.err).toContain('pcm16 8000 Hz');
    expect(r.out).toMatch(/final #0/);
  });

  it('fails clearly on a file that is not a WAV and on an unknown model', async () => {
    const notWav = await simulate(join(AUDIO_DIR, 'README.md'), '--url', `ws://127.0.0.1:${server.port}`);
    expect(notWav.code).toBe(2);
    expect(notWav.err).toContain('not an audio file voxlog can read');
    const badModel = await simulate(join(AUDIO_DIR, 'synthetic-seen', 'seen_0001_rms.wav'), '--model', 'nope', '--url', `ws://127.0.0.1:${server.port}`);
    expect(badModel.code).toBe(1);
    expect(badModel.out).toContain('error unknown_model');
    expect(badModel.err).toContain('1008');
  });
});
