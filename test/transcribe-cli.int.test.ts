import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSync } from 'subtitle';
import { WebVTTParser } from 'webvtt-parser';
import { wordErrorRate } from '../src/scoring/wer';
import { AUDIO_DIR, references } from './helpers/audio';
import { startTestServer, type TestServer } from './helpers/server';

const root = join(import.meta.dir, '..');
const JFK = join(AUDIO_DIR, 'jfk', 'jfk.wav');
const REFERENCE = references('jfk').get('jfk')!;
const out = mkdtempSync(join(tmpdir(), 'voxlog-transcribe-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** `bun run transcribe` as a user runs it (stderr is not a terminal: plain progress lines). */
async function transcribe(...args: string[]) {
  const p = Bun.spawn(['bun', 'src/cli/transcribe.ts', ...args], { cwd: root, env: { ...process.env, VOXLOG_DEFAULT_MODEL: '' }, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { stdout, stderr, code };
}

describe('bun run transcribe', () => {
  it('transcribes in this process with progress lines, writing subtitles a parser reads', async () => {
    const r = await transcribe(JFK, '--format', 'srt', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^jfk.wav: 100% chunk (\d+) of \1$/m);
    expect(r.stderr).toContain(`jfk.wav: done, 11.0 s`);
    const cues = parseSync(readFileSync(join(out, 'jfk.srt'), 'utf8')).filter((n) => n.type === 'cue');
    const text = cues.map((c) => (c.data as { text: string }).text.replaceAll('\n', ' ')).join(' ');
    expect(wordErrorRate(REFERENCE, text).rate).toBeLessThan(0.15);
  });

  it('leaves no speech out: a prompt that talks from its first second is transcribed from it (the first 7.5 s were missing)', async () => {
    const r = await transcribe(join(AUDIO_DIR, 'telephony', 'pcm16', 'demo-instruct.wav'), '--format', 'json', '--out', out);
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'demo-instruct.json'), 'utf8')) as { segments: { start_ms: number; text: string }[] };
    expect(json.segments[0]!.start_ms).toBeLessThan(1_000);
    const text = json.segments.map((s) => s.text).join(' ');
    // Measured 0.318, as streaming gives: the reference writes digits ("dial 500") that the model spells out.
    expect(wordErrorRate(references('telephony').get('demo-instruct')!, text).rate).toBeLessThan(0.4);
  });

  it('gives byte-identical results for a compressed file on every run, however ffmpeg chunks its output', async () => {
    const m4a = join(out, 'speech.m4a');
    const parts = ['1089-134686-0000', '1089-134686-0001', '1089-134691-0000'].map((n) => join(AUDIO_DIR, 'librispeech', `${n}.wav`));
    const made = Bun.spawnSync(['ffmpeg', '-y', '-loglevel', 'error', ...parts.flatMap((p) => ['-i', p]), '-filter_complex', `concat=n=${parts.length}:v=0:a=1`, '-c:a', 'aac', '-b:a', '48k', m4a]);
    expect(made.exitCode).toBe(0);
    const runs: string[] = [];
    for (let i = 0; i < 3; i++) {
      expect((await transcribe(m4a, '--format', 'json', '--out', out)).code).toBe(0);
      runs.push(readFileSync(join(out, 'speech.json'), 'utf8'));
    }
    expect(new Set(runs).size).toBe(1);
  });

  it('exits 1 when a file fails, after doing the others', async () => {
    const r = await transcribe(JFK, join(root, 'package.json'), '--format', 'json', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('package.json: failed:');
    expect(JSON.parse(readFileSync(join(out, 'jfk.json'), 'utf8'))).toMatchObject({ file: 'jfk.wav', model_id: 'gigaspeech-zipformer-3.3M-en', audio_ms: 11000 });
  });

  it('exits 2 on bad usage and 3 when no server answers', async () => {
    expect((await transcribe()).code).toBe(2);
    expect((await transcribe(JFK, '--format', 'docx')).code).toBe(2);
    expect((await transcribe(JFK, '--speed', '2')).code).toBe(2);
    const absent = await transcribe(JFK, '--model', 'sherpa-onnx-moonshine-tiny-en-int8', '--out', out);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain('models that can run here: gigaspeech-zipformer-3.3M-en');
    const refused = await transcribe(JFK, '--server', 'http://127.0.0.1:9', '--out', out);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('connection refused');
  });

  describe('through a server', () => {
    let server: TestServer;
    beforeAll(async () => (server = await startTestServer({ VOXLOG_DEFAULT_MODEL: '' })));
    afterAll(() => server.dispose());

    it('submits a job, follows it and downloads the transcript', async () => {
      const r = await transcribe(JFK, '--server', server.url, '--format', 'vtt', '--out', out);
      expect(r.code).toBe(0);
      // The same durations the local mode prints, and the server's own time beside them.
      expect(r.stderr).toMatch(/jfk\.wav: done, 11\.0 s in \d+\.\d s \(\d+\.\d s on the server\) → /);
      const vtt = readFileSync(join(out, 'jfk.vtt'), 'utf8');
      expect(vtt).toMatch(/^WEBVTT\n\n00:00:00\.\d{3} --> 00:00:\d\d\.\d{3}\n/);
      expect(new WebVTTParser().parse(vtt, 'metadata').errors).toEqual([]);
      const jobs = (await (await fetch(`${server.url}/api/v1/jobs`)).json()) as { jobs: { source: string; status: string }[] };
      expect(jobs.jobs).toEqual([expect.objectContaining({ source: 'cli', status: 'completed' })]);
    });
  });
});
