import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamAudio } from '../src/client/stream-client';
import { FRAME_BYTES, loadClip, SHARED_DIR, STREAMING_MODEL } from './helpers/audio';
import { directDecode } from './helpers/direct';
import { finals } from './helpers/server';

const root = mkdtempSync(join(tmpdir(), 'voxlog-pull-'));
const modelsDir = join(root, 'models');
const catalogFile = join(root, 'catalog.json');
let archive: Uint8Array<ArrayBuffer>;
let sha256: string;
let cutFirstResponse = true;
const ranges: (string | null)[] = [];
let fixtureServer: { readonly port: number; stop(closeActive?: boolean): void };

beforeAll(async () => {
  // A real .tar.bz2 shaped like an upstream release: one folder holding the model files.
  const folder = join(root, 'pack', 'fixture-streaming');
  mkdirSync(folder, { recursive: true });
  for (const f of ['model.onnx', 'tokens.txt']) copyFileSync(join(SHARED_DIR, 'models', STREAMING_MODEL, f), join(folder, f));
  const tar = Bun.spawnSync(['tar', '-cjf', join(root, 'fixture.tar.bz2'), '-C', join(root, 'pack'), 'fixture-streaming']);
  expect(tar.exitCode).toBe(0);
  archive = new Uint8Array(readFileSync(join(root, 'fixture.tar.bz2')));
  sha256 = createHash('sha256').update(archive).digest('hex');

  // A plain HTTP/1.1 server on a TCP socket, so that the first answer can be cut the way a network
  // failure cuts it: Content-Length promises the whole file, 40% arrives, the connection closes.
  // (Bun.serve sends a stream chunked, and erroring it printed a stack trace into the test output.)
  fixtureServer = Bun.listen<{ pending: Uint8Array[]; closeWhenSent: boolean }>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(socket) {
        socket.data = { pending: [], closeWhenSent: false };
      },
      data(socket, request) {
        const head = new TextDecoder().decode(request);
        const range = /^range: (bytes=(\d+)-)\r$/im.exec(head);
        ranges.push(range ? range[1]! : null);
        const from = range ? Number(range[2]) : 0;
        const body = archive.subarray(from);
        const status = range ? '206 Partial Content' : '200 OK';
        const headers = [`HTTP/1.1 ${status}`, `content-length: ${body.length}`, ...(range ? [`content-range: bytes ${from}-${archive.length - 1}/${archive.length}`] : []), 'connection: close', '', ''];
        const sent = cutFirstResponse ? body.subarray(0, Math.floor(body.length * 0.4)) : body;
        cutFirstResponse = false;
        socket.data.pending.push(new TextEncoder().encode(headers.join('\r\n')), sent);
        socket.data.closeWhenSent = true;
        flush(socket);
      },
      drain: (socket) => flush(socket),
    },
  });
  /** Writes what the socket will take now; the rest waits for its drain. Closes once all is out. */
  function flush(socket: { data: { pending: Uint8Array[]; closeWhenSent: boolean }; write(b: Uint8Array): number; end(): void }): void {
    const { pending } = socket.data;
    while (pending.length > 0) {
      const written = socket.write(pending[0]!);
      if (written < pending[0]!.length) {
        pending[0] = pending[0]!.subarray(Math.max(0, written));
        return;
      }
      pending.shift();
    }
    if (socket.data.closeWhenSent) socket.end();
  }
  const entry = (id: string, checksum: string) => ({
    id,
    kind: 'streaming',
    language: 'en',
    description: 'fixture served from a local HTTP server',
    licence: 'test',
    sherpa: 'zipformer2Ctc',
    files: { model: 'model.onnx', tokens: 'tokens.txt' },
    url: `http://127.0.0.1:${fixtureServer.port}/fixture.tar.bz2`,
    sha256: checksum,
  });
  const closed = Bun.serve({ port: 0, fetch: () => new Response('') });
  const unreachable = { ...entry('fixture-unreachable', sha256), url: `http://127.0.0.1:${closed.port}/gone.tar.bz2` };
  closed.stop(true);
  writeFileSync(catalogFile, JSON.stringify([entry('fixture-streaming', sha256), entry('fixture-bad-checksum', '0'.repeat(64)), unreachable]));
});

afterAll(() => {
  fixtureServer.stop(true);
  rmSync(root, { recursive: true, force: true });
});

const env = { ...process.env, VOXLOG_MODELS_DIR: modelsDir, VOXLOG_CATALOG_FILE: catalogFile };
const models = async (...args: string[]) => {
  const p = Bun.spawn(['bun', 'run', 'models', ...args], { cwd: join(import.meta.dir, '..'), env, stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out, err, code };
};

describe('bun run models pull', () => {
  it('keeps an interrupted download and resumes it with a range request, then verifies and unpacks', async () => {
    const first = await models('pull', 'fixture-streaming');
    expect(first.code).toBe(1);
    expect(first.err).toContain('run the pull again to resume');
    const part = join(modelsDir, '.downloads', 'fixture.tar.bz2.part');
    const kept = statSync(part).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(archive.length);

    const second = await models('pull', 'fixture-streaming');
    expect(second.code).toBe(0);
    expect(ranges.at(-1)).toBe(`bytes=${kept}-`);
    expect(second.out).toContain(`sha256 ${sha256} (catalog)`);
    expect(second.out).toContain('resumed from');
    expect(second.err).toMatch(/100% /);
    expect(readdirSync(join(modelsDir, 'fixture-streaming')).sort()).toEqual(['SOURCE.json', 'model.onnx', 'tokens.txt']);
    expect(existsSync(part)).toBe(false);
    expect((await models('list')).out).toMatch(/fixture-streaming\s+streaming\s+en\s+yes/);
    const again = await models('pull', 'fixture-streaming');
    expect([again.code, again.err]).toEqual([0, expect.stringContaining('already in')]);
  });

  it('deletes a download whose checksum does not match and installs nothing', async () => {
    const r = await models('pull', 'fixture-bad-checksum');
    expect(r.code).toBe(1);
    expect(r.err).toContain('checksum mismatch');
    expect(existsSync(join(modelsDir, 'fixture-bad-checksum'))).toBe(false);
    expect(existsSync(join(modelsDir, '.downloads', 'fixture.tar.bz2.part'))).toBe(false);
  });

  it('leaves nothing behind when the server cannot be reached', async () => {
    const fresh = join(root, 'fresh-models');
    const p = Bun.spawn(['bun', 'run', 'models', 'pull', 'fixture-unreachable'], { cwd: join(import.meta.dir, '..'), env: { ...env, VOXLOG_MODELS_DIR: fresh }, stdout: 'pipe', stderr: 'pipe' });
    const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
    expect(code).toBe(1);
    expect(err).toContain('cannot reach');
    expect(existsSync(fresh)).toBe(false);
  });

  it('downloads a model on disk again with --force', async () => {
    const before = ranges.length;
    const r = await models('pull', 'fixture-streaming', '--force');
    expect(r.code).toBe(0);
    expect(ranges.length).toBe(before + 1);
    expect(readdirSync(join(modelsDir, 'fixture-streaming')).sort()).toEqual(['SOURCE.json', 'model.onnx', 'tokens.txt']);
  });

  it('names unknown models', async () => {
    const r = await models('pull', 'nope');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown model nope; see: bun run models list');
  });

  it('gives a server a pulled model it can stream with', async () => {
    const port = 19000 + Math.floor(Math.random() * 1000);
    const server = Bun.spawn(['bun', 'src/main.ts'], { cwd: join(import.meta.dir, '..'), env: { ...env, PORT: String(port), VOXLOG_DATA_DIR: join(root, 'data') }, stdout: 'ignore', stderr: 'ignore' });
    try {
      for (let i = 0; i < 100 && !(await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok).catch(() => false)); i++) await Bun.sleep(100);
      const clip = loadClip('synthetic-seen', 'seen_0020_awb.wav');
      const out = await streamAudio({ url: `ws://127.0.0.1:${port}/ws/transcribe?model=fixture-streaming`, audio: clip.pcm16, frameBytes: FRAME_BYTES });
      expect(out.closeCode).toBe(1000);
      expect(finals(out.messages).map((f) => f.raw_text ?? f.text)).toEqual(await directDecode(STREAMING_MODEL, clip.pcm16, FRAME_BYTES));
    } finally {
      server.kill();
      await server.exited;
    }
  });
});
