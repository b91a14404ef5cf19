import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from 'bun:sqlite';
import { startServer, type RunningServer } from '../../src/app';
import { LIFTED_LIMITS, loadConfig } from '../../src/config';
import { streamAudio, type StreamOutcome } from '../../src/client/stream-client';
import type { ServerMessage } from '../../src/server/protocol';
import type { RecordedEvent } from '../../events/types';
import { FRAME_BYTES, STREAMING_MODEL } from './audio';

export interface TestServer extends Omit<RunningServer, 'db'> {
  readonly dataDir: string;
  readonly wsUrl: (query?: Record<string, string>) => string;
  /** With VOXLOG_TLS_CERT: the certificate a client must trust to reach it (fetch's and WebSocket's `tls`). */
  readonly tls: { readonly ca: string } | undefined;
  /** The server's real SQLite file, for reading (the server's own connection: it holds the file alone). */
  readonly db: () => Database;
  /** The server's own connection (for fault injection). */
  readonly serverDb: Database;
  /** A series' value from /metrics (0 when it has not been counted yet). */
  readonly metric: (series: string) => Promise<number>;
  readonly dispose: () => Promise<void>;
}

/**
 * Starts the real server on port 0 with a fresh data directory and the shared models, its limits
 * lifted (these tests stream clips as fast as the socket takes them; limits.int.test.ts does not). Sessions that
 * name no model get the tiny streaming fixture (fast, deterministic) unless `env` says otherwise;
 * the tests of the real default model set VOXLOG_DEFAULT_MODEL to ''.
 */
export async function startTestServer(env: Record<string, string> = {}, dataDir = mkdtempSync(join(tmpdir(), 'voxlog-test-'))): Promise<TestServer> {
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', VOXLOG_DATA_DIR: dataDir, VOXLOG_MODELS_DIR: join(dataDir, 'models'), VOXLOG_DEFAULT_MODEL: STREAMING_MODEL, ...LIFTED_LIMITS, ...env });
  const server = await startServer(config);
  return {
    ...server,
    serverDb: server.db,
    dataDir,
    wsUrl: (query = {}) => `${server.url.replace(/^http/, 'ws')}/ws/transcribe?${new URLSearchParams(query)}`,
    tls: config.tls ? { ca: readFileSync(config.tls.cert, 'utf8') } : undefined,
    db: () => server.db,
    metric: async (series) => {
      const line = (await (await fetch(`${server.url}/metrics`)).text()).split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    },
    dispose: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Streams PCM16 as fast as the socket accepts it and waits for the session to close. */
export const stream = (url: string, audio: Uint8Array<ArrayBuffer>, frameBytes = FRAME_BYTES, ca?: string): Promise<StreamOutcome> => streamAudio({ url, audio, frameBytes, ca });

export { finals, ofType } from '../../src/client/stream-client';

export interface OpenSocket {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first message (already received or future) that matches. */
  next<T extends ServerMessage['type']>(type: T, where?: (m: Extract<ServerMessage, { type: T }>) => boolean): Promise<Extract<ServerMessage, { type: T }>>;
}

/** A raw client socket for tests that send their own sequence of frames. */
export function openSocket(url: string): OpenSocket {
  const ws = new WebSocket(url);
  const messages: ServerMessage[] = [];
  const waiters: { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data)) as ServerMessage;
    messages.push(m);
    for (const w of [...waiters]) if (w.match(m)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(m));
  };
  const opened = new Promise<void>((r) => ws.addEventListener('open', () => r()));
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.addEventListener('close', (e) => r({ code: e.code, reason: e.reason })));
  return {
    ws,
    messages,
    opened,
    closed,
    next(type, where = () => true) {
      const match = (m: ServerMessage) => m.type === type && where(m as never);
      const seen = messages.find(match);
      if (seen) return Promise.resolve(seen as never);
      return new Promise((resolve) => waiters.push({ match, resolve: resolve as (m: ServerMessage) => void }));
    },
  };
}

/** Polls `check` until it returns a value (the log is written asynchronously to the socket's close). */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (performance.now() > until) throw new Error('condition not met in time');
    await Bun.sleep(20);
  }
}

/**
 * Reads a server process's stdout until it says it is listening; returns its URL and what it printed.
 * It keeps draining stdout afterwards (into `output()`): a server logs every request, and a pipe
 * nobody reads would fill and stall it.
 */
export async function waitForListening(proc: { stdout: ReadableStream<Uint8Array>; stderr?: unknown }): Promise<{ url: string; printed: string; output: () => string }> {
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let printed = '';
  while (!/listening on (\S+)/.test(printed)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server exited before listening: ${printed}${proc.stderr instanceof ReadableStream ? await new Response(proc.stderr).text() : ''}`);
    printed += decoder.decode(value);
  }
  const url = /listening on (\S+)/.exec(printed)![1]!;
  const atListening = printed;
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      printed += decoder.decode(value);
    }
  })();
  return { url, printed: atListening, output: () => printed };
}

export interface ServerProcess {
  readonly proc: ReturnType<typeof Bun.spawn>;
  readonly url: string;
  readonly dataDir: string;
  /** Kills the process and removes its data directory. */
  stop(): Promise<void>;
}

/** The real server (`bun src/main.ts`) in a process of its own on port 0 (for faults that must not reach the test runner). */
export async function startServerProcess(env: Record<string, string> = {}, dataDir = mkdtempSync(join(tmpdir(), 'voxlog-proc-'))): Promise<ServerProcess> {
  const proc = Bun.spawn(['bun', join(import.meta.dir, '..', '..', 'src', 'main.ts')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', VOXLOG_DATA_DIR: dataDir, ...env },
    stdout: 'pipe',
    stderr: 'ignore',
  });
  const { url } = await waitForListening(proc as { stdout: ReadableStream<Uint8Array> });
  return {
    proc,
    url,
    dataDir,
    stop: async () => {
      proc.kill();
      await proc.exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves once the job's stream holds an event that `match` accepts (already there, or when it commits). */
export function untilJobEvent(server: Pick<TestServer, 'jobs' | 'store'>, id: string, match: (e: RecordedEvent) => boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = server.jobs.watch(id, (e) => match(e) && (stop(), resolve()));
    if (server.store.readStream(`job-${id}`).some(match)) (stop(), resolve());
  });
}
