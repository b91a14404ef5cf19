import { afterAll, describe, expect, it } from 'bun:test';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_DIR } from './helpers/audio';
import { eventually, waitForListening } from './helpers/server';

const root = join(import.meta.dir, '..');
const scratch = mkdtempSync(join(tmpdir(), 'voxlog-start-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `bun run start` as a user runs it, in its own process. */
function start(env: Record<string, string>) {
  return Bun.spawn(['bun', 'src/main.ts'], { cwd: root, env: { ...process.env, VOXLOG_DEFAULT_MODEL: 'tiny-streaming-lstm-ctc-en', ...env }, stdout: 'pipe', stderr: 'pipe' });
}

/** Runs a server to completion (one that refuses to start) and returns what it said. */
async function refused(env: Record<string, string>) {
  const p = start(env);
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out, err, code };
}

/** Starts a server and resolves with its URL once it says it is listening (PORT=0 included). */
async function listening(env: Record<string, string>): Promise<{ url: string; stop: () => Promise<void> }> {
  const p = start(env);
  const { url } = await waitForListening(p);
  return { url, stop: async () => void (p.kill(), await p.exited) };
}

describe('bun run start with bad configuration', () => {
  it('exits 2 and names every bad variable, starting nothing', async () => {
    const r = await refused({ PORT: 'eighty', VOXLOG_SQLITE_SYNCHRONOUS: 'sometimes', VOXLOG_EVENT_LOG: 'maybe' });
    expect(r.code).toBe(2);
    for (const name of ['PORT', 'VOXLOG_SQLITE_SYNCHRONOUS', 'VOXLOG_EVENT_LOG']) expect(r.err).toContain(name);
    expect(r.out).not.toContain('listening');
  });

  it('exits 2 on a VOXLOG_DATABASE_URL that is not PostgreSQL, and 1 naming a PostgreSQL it cannot reach (password hidden)', async () => {
    const notPg = await refused({ VOXLOG_DATA_DIR: join(scratch, 'pg-bad'), VOXLOG_DATABASE_URL: 'mysql://root@localhost/voxlog' });
    expect(notPg.code).toBe(2);
    expect(notPg.err).toContain('VOXLOG_DATABASE_URL must be a postgres:// URL');
    const unreachable = await refused({ VOXLOG_DATA_DIR: join(scratch, 'pg-down'), VOXLOG_DATABASE_URL: 'postgres://voxlog:hunter2@127.0.0.1:1/voxlog' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toContain('voxlog cannot start: cannot use the PostgreSQL log at postgres://voxlog:***@127.0.0.1:1/voxlog');
    expect(unreachable.err).not.toContain('hunter2');
    expect(unreachable.out).not.toContain('listening');
  });

  it('exits 2 naming the problem in a catalog file that is not an array of valid entries', async () => {
    const cases: [string, string, string][] = [
      ['not-json.json', '{ models: [', 'is not valid JSON'],
      ['object.json', '{"id": "x"}', 'must hold a JSON array of catalog entries, not object'],
      ['bad-kind.json', JSON.stringify([{ id: 'mine', kind: 'magic', language: 'en', description: 'd', licence: 'l', files: { tokens: 't.txt' } }]), 'entry 0 (mine): /kind'],
      ['no-tokens.json', JSON.stringify([{ id: 'mine', kind: 'streaming', sherpa: 'transducer', language: 'en', description: 'd', licence: 'l', files: { encoder: 'e.onnx' } }]), 'files needs "tokens"'],
    ];
    for (const [name, content, message] of cases) {
      writeFileSync(join(scratch, name), content);
      const r = await refused({ PORT: '0', VOXLOG_DATA_DIR: join(scratch, 'data-catalog'), VOXLOG_CATALOG_FILE: join(scratch, name) });
      expect([name, r.code]).toEqual([name, 2]);
      expect(r.err).toContain('VOXLOG_CATALOG_FILE=');
      expect(r.err).toContain(message);
      expect(r.err).not.toContain('    at ');
    }
  });
});

/**
 * A data directory the server cannot write. Root ignores file permissions, so for root it is a
 * read-only tmpfs mount, or where mounting is not allowed a path on /proc (a read-only file system).
 */
function unwritableDir(): { dir: string; undo(): void } {
  const dir = join(scratch, 'read-only');
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o555);
    return { dir, undo: () => chmodSync(dir, 0o755) };
  }
  if (Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir]).exitCode === 0) return { dir, undo: () => void Bun.spawnSync(['umount', dir]) };
  return { dir: '/proc/voxlog-data', undo: () => {} };
}

describe('a data directory it cannot write', () => {
  it('is refused at start with exit 1 and what to do, instead of a server whose every result would fail', async () => {
    const ro = unwritableDir();
    try {
      const r = await refused({ PORT: '0', VOXLOG_DATA_DIR: ro.dir });
      expect(r.code).toBe(1);
      expect(r.err).toContain(`the data directory ${ro.dir} is not writable`);
      expect(r.out).not.toContain('listening');
    } finally {
      ro.undo();
    }
  });
});

describe('the models it starts with', () => {
  it('says which models it found, which is the default and where it looked', async () => {
    const p = start({ PORT: '0', VOXLOG_DATA_DIR: join(scratch, 'models-found'), VOXLOG_DEFAULT_MODEL: '' });
    const { output } = await waitForListening(p);
    await eventually(() => output().includes('models: '));
    p.kill();
    await p.exited;
    const line = output().split('\n').find((l) => l.startsWith('models: '))!;
    expect(line).toContain('gigaspeech-zipformer-3.3M-en (default)');
    expect(line).toContain('tiny-offline-bigru-ctc-en');
    expect(line).toContain(`found in ${join(SHARED_DIR, 'models')}`);
    expect(line).toContain('looked in ');
    expect(line).toContain('text written by voxlog-punct-en');
  });

  it('warns, naming the command that gets one, when no model is on disk', async () => {
    const empty = join(scratch, 'no-shared');
    mkdirSync(empty, { recursive: true });
    const p = start({ PORT: '0', VOXLOG_DATA_DIR: join(scratch, 'models-none'), VOXLOG_DEFAULT_MODEL: '', VOXLOG_SHARED_DIR: empty, VOXLOG_MODELS_DIR: join(empty, 'models') });
    await waitForListening(p);
    await Bun.sleep(200);
    p.kill();
    await p.exited;
    const warned = await new Response(p.stderr).text();
    expect(warned).toContain(`WARNING: no speech model is on disk (looked in ${join(empty, 'models')}`);
    expect(warned).toContain('Get one with: bun run models pull sherpa-onnx-streaming-zipformer-en-20M-2023-02-17');
  });
});

describe('the punctuation model it writes text with', () => {
  const UPSTREAM = 'sherpa-onnx-online-punct-en-2024-08-06';

  it('refuses to start with sherpa-onnx\'s model when it is not on disk, naming the command that gets it', async () => {
    const models = join(scratch, 'punct-none');
    mkdirSync(models, { recursive: true });
    const r = await refused({ PORT: '0', VOXLOG_DATA_DIR: join(scratch, 'punct-none-data'), VOXLOG_MODELS_DIR: models, VOXLOG_PUNCTUATION_MODEL: UPSTREAM });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`VOXLOG_PUNCTUATION_MODEL: model ${UPSTREAM} is not on disk`);
    expect(r.err).toContain(`bun run models pull ${UPSTREAM}`);
    expect(r.out).not.toContain('listening');
  });

  it('refuses a model file that sherpa-onnx cannot run, found in a probe process while the server lives on to say so', async () => {
    // A real ONNX file of the wrong model (voxlog's own) and a word list that is no BPE vocabulary.
    const dir = join(scratch, 'punct-bad', UPSTREAM);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.onnx'), readFileSync(join(root, 'assets/punct-en/model.onnx')));
    writeFileSync(join(dir, 'bpe.vocab'), 'not a vocabulary\n');
    const r = await refused({ PORT: '0', VOXLOG_DATA_DIR: join(scratch, 'punct-bad-data'), VOXLOG_MODELS_DIR: join(scratch, 'punct-bad'), VOXLOG_PUNCTUATION_MODEL: UPSTREAM });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`VOXLOG_PUNCTUATION_MODEL=${UPSTREAM}: the punctuation model crashed or failed when loaded in a probe process`);
    expect(r.out).not.toContain('listening');
  });

  it('exits 2 on a name that is no punctuation model, with the names it takes', async () => {
    const r = await refused({ VOXLOG_PUNCTUATION_MODEL: 'voxlog-punct' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('VOXLOG_PUNCTUATION_MODEL=voxlog-punct is not a punctuation model (did you mean voxlog-punct-en?)');
  });
});

describe('binding beyond loopback', () => {
  it('turns auth on by default, and with VOXLOG_AUTH=off warns at start that anyone can read every transcript', async () => {
    const guarded = await listening({ PORT: '0', HOST: '0.0.0.0', VOXLOG_DATA_DIR: join(scratch, 'wide') });
    try {
      const port = new URL(guarded.url).port;
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/sessions`)).status).toBe(401);
    } finally {
      await guarded.stop();
    }
    const p = start({ PORT: '0', HOST: '0.0.0.0', VOXLOG_AUTH: 'off', VOXLOG_DATA_DIR: join(scratch, 'wide-open') });
    await waitForListening(p);
    p.kill();
    await p.exited;
    expect(await new Response(p.stderr).text()).toContain('WARNING: auth is off (VOXLOG_AUTH=off) while listening on 0.0.0.0');
  });
});

describe('one server per port and per data directory', () => {
  it('refuses to start on a port that is in use', async () => {
    const first = await listening({ PORT: '0', VOXLOG_DATA_DIR: join(scratch, 'a') });
    try {
      const r = await refused({ PORT: new URL(first.url).port, VOXLOG_DATA_DIR: join(scratch, 'b') });
      expect(r.code).toBe(1);
      expect(r.err).toContain(`port ${new URL(first.url).port} on 127.0.0.1 is already in use`);
      expect(r.out).not.toContain('listening');
      // Said before anything was made: no data directory created, no log migrated.
      expect(existsSync(join(scratch, 'b'))).toBe(false);
      expect(r.out).not.toContain('applied migrations');
    } finally {
      await first.stop();
    }
  });

  it('refuses a second server on the same data directory while the first runs, and allows one after it stops', async () => {
    const dataDir = join(scratch, 'shared-data');
    const first = await listening({ PORT: '0', VOXLOG_DATA_DIR: dataDir });
    const r = await refused({ PORT: '0', VOXLOG_DATA_DIR: dataDir });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`another voxlog server is already running on the data directory ${dataDir}`);
    await first.stop();
    const again = await listening({ PORT: '0', VOXLOG_DATA_DIR: dataDir });
    await again.stop();
  });
});

describe('the API reference', () => {
  it('names the port actually bound when PORT=0, and renders from this server alone', async () => {
    const server = await listening({ PORT: '0', VOXLOG_DATA_DIR: join(scratch, 'docs') });
    try {
      const spec = (await (await fetch(`${server.url}/swagger/json`)).json()) as { servers: { url: string }[] };
      expect(spec.servers).toEqual([{ url: server.url }]);
      const page = await (await fetch(`${server.url}/swagger`)).text();
      const refs = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      expect(refs.length).toBeGreaterThanOrEqual(2);
      // Every script, style and icon comes from this server: nothing external to load.
      expect(page).not.toMatch(/https?:\/\//);
      for (const ref of refs) {
        expect(ref.startsWith('/swagger/assets/')).toBe(true);
        const res = await fetch(`${server.url}${ref}`);
        expect([ref, res.status]).toEqual([ref, 200]);
        expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(500);
      }
    } finally {
      await server.stop();
    }
  });
});
