import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PREFERRED_DEFAULT_MODEL } from '../models/catalog';
import { streamAudio } from '../src/client/stream-client';
import { wordErrorRate } from '../src/scoring/wer';
import { loadClip, SHARED_DIR } from './helpers/audio';
import { finals, ofType, waitForListening } from './helpers/server';

const scratch = mkdtempSync(join(tmpdir(), 'voxlog-bin-'));
const dist = join(scratch, 'dist');
let server: ReturnType<typeof Bun.spawn<'ignore', 'pipe', 'pipe'>>;
let url = '';
let started = '';
/** The binary run as a command, from another directory, with what the server had in its environment. */
const voxlog = async (...args: string[]) => {
  const p = Bun.spawn([join(dist, 'voxlog'), ...args], { cwd: scratch, env: { PATH: process.env.PATH ?? '', HOME: scratch, VOXLOG_SHARED_DIR: SHARED_DIR }, stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out, err, code };
};

beforeAll(async () => {
  const build = Bun.spawnSync(['bun', 'run', 'build', '--out', dist], { cwd: join(import.meta.dir, '..') });
  if (build.exitCode !== 0) throw new Error(`bun run build failed: ${build.stderr.toString()}`);
  // Started from another directory, with nothing but the shared models: the binary needs no source tree.
  const t0 = performance.now();
  server = Bun.spawn([join(dist, 'voxlog')], {
    cwd: scratch,
    env: { PATH: process.env.PATH ?? '', HOME: scratch, PORT: '0', VOXLOG_DATA_DIR: join(scratch, 'data'), VOXLOG_SHARED_DIR: SHARED_DIR },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const { url: bound, printed, output } = await waitForListening(server);
  url = bound;
  await Bun.sleep(100);
  started = output();
  console.log(`binary: ${(statSync(join(dist, 'voxlog')).size / 1e6).toFixed(1)} MB, listening ${Math.round(performance.now() - t0)} ms after exec; ${printed.trim().split('\n').join(' | ')}`);
});

afterAll(async () => {
  server?.kill();
  await server?.exited;
  rmSync(scratch, { recursive: true, force: true });
});

describe('the single binary from bun run build', () => {
  it('applies its embedded migrations, loads the real model in its workers, and transcribes a clip', async () => {
    const clip = loadClip('jfk', 'jfk.wav');
    const out = await streamAudio({ url: `${url.replace('http', 'ws')}/ws/transcribe`, audio: clip.pcm16, frameBytes: 3200 });
    expect(out.closeCode).toBe(1000);
    expect(ofType(out.messages, 'ready')[0]!.model_id).toBe(PREFERRED_DEFAULT_MODEL);
    const text = finals(out.messages).map((f) => f.text).join(' ');
    expect(wordErrorRate(clip.reference, text).rate).toBeLessThan(0.14);
    // Written by the punctuation model it carries, in the engine worker.
    expect(text).toMatch(/^And [^]*[a-z]/);
    for (const f of finals(out.messages)) expect(f.formatted_words?.map((w) => w.word).join(' ')).toBe(f.text);
    const history = (await (await fetch(`${url}/api/v1/history`)).json()) as { total: number };
    expect(history.total).toBe(finals(out.messages).length);
  });

  it('serves what the source tree serves: health, the OpenAPI document and Swagger UI with its assets', async () => {
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const spec = (await (await fetch(`${url}/swagger/json`)).json()) as { servers: { url: string }[]; paths: Record<string, unknown> };
    expect(spec.servers).toEqual([{ url }]);
    expect(Object.keys(spec.paths)).toContain('/api/v1/sessions');
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/v1/jobs', '/api/v1/jobs/{id}/download', '/v1/audio/transcriptions']));
    expect(await (await fetch(`${url}/swagger`)).text()).toContain('/swagger/assets/swagger-ui-bundle.js');
    const bundle = await fetch(`${url}/swagger/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
  });

  it('runs a batch job, its VAD and format workers bundled beside the engine worker', async () => {
    const form = new FormData();
    form.append('file', Bun.file(join(SHARED_DIR, 'audio', 'jfk', 'jfk.wav')), 'jfk.wav');
    const { id } = (await (await fetch(`${url}/api/v1/jobs`, { method: 'POST', body: form })).json()) as { id: string };
    const feed = await (await fetch(`${url}/api/v1/jobs/${id}/events`)).text();
    expect(feed).toContain('"type":"end","status":"completed"');
    const text = await (await fetch(`${url}/api/v1/jobs/${id}/download?format=txt`)).text();
    expect(wordErrorRate(loadClip('jfk', 'jfk.wav').reference, text).rate).toBeLessThan(0.14);
    const { segments } = (await (await fetch(`${url}/api/v1/jobs/${id}/segments`)).json()) as { segments: { text: string; raw_text: string }[] };
    expect(segments.some((s) => s.text !== s.raw_text && /[a-z]/.test(s.text))).toBe(true);
  });

  it('runs an offline model behind the Silero VAD shipped beside it', async () => {
    const clip = loadClip('jfk', 'jfk.wav');
    const out = await streamAudio({ url: `${url.replace('http', 'ws')}/ws/transcribe?model=tiny-offline-bigru-ctc-en`, audio: clip.pcm16, frameBytes: 3200 });
    expect(out.closeCode).toBe(1000);
    expect(finals(out.messages).length).toBeGreaterThan(0);
  });

  it('serves the web UI it carries (there is no source tree to bundle it from)', async () => {
    const page = await (await fetch(`${url}/jobs`)).text();
    expect(page).toContain('<script type="module" src="/ui/main.js">');
    for (const [file, type, least] of [['main.js', 'text/javascript', 50_000], ['main.css', 'text/css', 2_000], ['worklet.js', 'text/javascript', 200]] as const) {
      const res = await fetch(`${url}/ui/${file}`);
      expect({ file, status: res.status, type: res.headers.get('content-type')?.split(';')[0] }).toEqual({ file, status: 200, type });
      expect((await res.text()).length).toBeGreaterThan(least);
    }
  });

  it('says at start which models it found and where it looked', () => {
    expect(started).toMatch(new RegExp(`models: [^\\n]*${PREFERRED_DEFAULT_MODEL} \\(default\\)[^\\n]*; found in ${join(SHARED_DIR, 'models')}`));
    expect(started).toMatch(new RegExp(`looked in [^)]*${join(dist, 'models')}`));
  });
});

describe('every command in the one binary', () => {
  it('answers --help with its commands, and each command with its own usage, in the words a binary user types', async () => {
    const help = await voxlog('--help');
    expect(help.code).toBe(0);
    for (const name of ['serve', 'simulate', 'transcribe', 'models', 'users', 'replay', 'log']) expect(help.out).toMatch(new RegExp(`^  ${name} `, 'm'));
    for (const name of ['serve', 'simulate', 'transcribe', 'models', 'users', 'replay', 'log']) {
      const r = await voxlog(name, '--help');
      expect([name, r.code]).toEqual([name, 0]);
      expect(r.out).toContain(`usage: voxlog ${name === 'serve' ? '[serve]' : name}`);
      expect(r.out).not.toContain('bun run');
    }
  });

  it('refuses an unknown command or option with a suggestion and exit 2, starting nothing', async () => {
    const typo = await voxlog('transcirbe', 'a.wav');
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('unknown command transcirbe (did you mean transcribe?)');
    const option = await voxlog('--port', '9000');
    expect(option.code).toBe(2);
    expect(option.err).toContain('unknown option --port');
    expect(option.out).not.toContain('listening');
  });

  it('lists models with the advice a binary user can follow', async () => {
    const r = await voxlog('models', 'list');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^${PREFERRED_DEFAULT_MODEL} .* yes \\(`, 'm'));
    expect(r.out).toContain('no: voxlog models pull');
  });

  it('streams a file to the server and transcribes one here, as the package scripts do', async () => {
    const jfk = join(SHARED_DIR, 'audio', 'jfk', 'jfk.wav');
    const sim = await voxlog('simulate', jfk, '--url', url);
    expect(sim.code).toBe(0);
    expect(sim.out).toMatch(/final #0 /);
    const out = join(scratch, 'transcripts');
    const local = await voxlog('transcribe', jfk, '--out', out);
    expect(local.code).toBe(0);
    expect(local.err).toMatch(/11\.0 s in \d+\.\d s → /);
    expect(wordErrorRate(loadClip('jfk', 'jfk.wav').reference, await Bun.file(join(out, 'jfk.txt')).text()).rate).toBeLessThan(0.14);
  });
});
