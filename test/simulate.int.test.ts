import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PREFERRED_DEFAULT_MODEL } from '../models/catalog';
import { wordErrorRate } from '../src/scoring/wer';
import { AUDIO_DIR, references } from './helpers/audio';
import { startTestServer, type TestServer } from './helpers/server';

let server: TestServer;
const scratch = mkdtempSync(join(tmpdir(), 'voxlog-sim-'));
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs a CLI as a user would; asynchronously, since the server lives in this process. */
const cli = async (script: string, ...args: string[]) => {
  // What `bun run SCRIPT` runs (package.json), and the binary alike: the dispatcher in src/main.ts.
  const p = Bun.spawn(['bun', 'src/main.ts', script, ...args], { cwd: join(import.meta.dir, '..'), stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
};
const simulate = (...args: string[]) => cli('simulate', ...args);

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

  it('refuses a text file named .mp3 (which ffprobe "opens" as an mp3 of 0 channels) before it opens a session', async () => {
    const notes = join(scratch, 'notes.mp3');
    await Bun.write(notes, await Bun.file(join(AUDIO_DIR, 'README.md')).text());
    const sessions = server.db().query('SELECT COUNT(*) AS n FROM sessions').get() as { n: number };
    const r = await simulate(notes, '--url', `ws://127.0.0.1:${server.port}`);
    expect(r.code).toBe(2);
    expect(r.err).toContain('not an audio file voxlog can read');
    expect(r.err).not.toContain('streaming');
    expect(server.db().query('SELECT COUNT(*) AS n FROM sessions').get()).toEqual(sessions);
  });

  it('names --token and VOXLOG_TOKEN when the server wants credentials', async () => {
    const authed = await startTestServer({ VOXLOG_AUTH: 'on', VOXLOG_SECRET_KEY: 'a-test-secret-that-is-at-least-32-characters-long' });
    try {
      const clip = join(AUDIO_DIR, 'synthetic-seen', 'seen_0001_rms.wav');
      const none = await simulate(clip, '--url', `ws://127.0.0.1:${authed.port}`);
      expect(none.code).toBe(1);
      expect(none.err).toContain('the server refused the session (401): it has auth on and no token was given; pass --token T or set VOXLOG_TOKEN');
      const wrong = await simulate(clip, '--url', `ws://127.0.0.1:${authed.port}`, '--token', 'vox_not_a_key');
      expect(wrong.err).toContain('it did not accept the token; pass --token T or set VOXLOG_TOKEN');
    } finally {
      await authed.dispose();
    }
  });

  it('transcribes the audio people have: stereo 24-bit 11025 Hz WAV and MP3, with the real model', async () => {
    const jfk = join(AUDIO_DIR, 'jfk', 'jfk.wav');
    const reference = references('jfk').get('jfk')!;
    const files = {
      'jfk-stereo-s24-11025.wav': ['-ac', '2', '-ar', '11025', '-c:a', 'pcm_s24le'],
      'jfk.mp3': [],
    };
    for (const [name, args] of Object.entries(files)) {
      const path = join(scratch, name);
      expect(Bun.spawnSync(['ffmpeg', '-y', '-loglevel', 'error', '-i', jfk, ...args, path]).exitCode).toBe(0);
      const r = await simulate(path, '--model', PREFERRED_DEFAULT_MODEL, '--url', `ws://127.0.0.1:${server.port}`);
      expect(r.code).toBe(0);
      const text = [...r.out.matchAll(/final #\d+ \[[^\]]+\]: (.*)/g)].map((m) => m[1]).join(' ');
      // Measured: 0.045 from the 11025 Hz WAV, 0.14 from the MP3 (it is cut differently at endpoints).
      expect(wordErrorRate(reference, text).rate).toBeLessThan(0.25);
    }
  });
});

describe('every CLI at the terminal', () => {
  it('answers --help with its usage and exit 0', async () => {
    for (const script of ['simulate', 'replay', 'models']) {
      const r = await cli(script, '--help');
      expect([script, r.code]).toEqual([script, 0]);
      expect(r.out).toContain(`usage: bun run ${script}`);
    }
  });

  it('refuses bad flags and values with a clear message and exit 2', async () => {
    const clip = join(AUDIO_DIR, 'jfk', 'jfk.wav');
    const cases: [string[], RegExp][] = [
      [['simulate', clip, '--frame-ms', 'abc'], /--frame-ms "abc" must be a number from 10 to 1000/],
      [['simulate', clip, '--frame-ms', '0'], /--frame-ms "0" must be a number from 10 to 1000/],
      [['simulate', clip, '--speed', '2'], /unknown option --speed/],
      [['simulate', clip, '--realtme'], /unknown option --realtme \(did you mean --realtime\?\)/],
      [['simulate', clip, '--token', ''], /--token is empty/],
      [['simulate', '/tmp'], /\/tmp: is a directory, not an audio file/],
      [['simulat', clip], /unknown command simulat \(did you mean simulate\?\)/],
      [['simulate'], /usage: bun run simulate/],
      [['replay', '--from'], /--from/],
      [['replay', '--timeline', '--from', 'yesterday-ish'], /--from "yesterday-ish" is neither a log position nor a time/],
      [['models', 'fetch'], /unknown command fetch/],
      [['models', 'pull'], /pull needs a model id/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args[0]!, ...args.slice(1));
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.err).toMatch(message);
    }
  });

  it('says "connection refused" when no server is listening', async () => {
    const idle = Bun.serve({ port: 0, fetch: () => new Response('') });
    const port = idle.port;
    idle.stop(true);
    const r = await simulate(join(AUDIO_DIR, 'jfk', 'jfk.wav'), '--url', `ws://127.0.0.1:${port}`);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`connection refused: no server is listening at 127.0.0.1:${port}`);
  });

  it('says where a model without a download comes from instead of pulling it', async () => {
    const r = await cli('models', 'pull', PREFERRED_DEFAULT_MODEL);
    expect(r.code).toBe(0);
    expect(r.err).toContain('has no download: it ships in ../shared/models');
    expect(r.err).toContain('it is on disk in');
  });
});
