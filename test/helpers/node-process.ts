import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import { LIFTED_LIMITS } from '../../src/config';
import { STREAMING_MODEL } from './audio';

/** An event as the REST API returns it. */
export interface WireEvent {
  readonly id: string;
  readonly stream_id: string;
  readonly version: number;
  readonly position: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  readonly created_at: string;
}

/** One voxlog server process (`bun src/main.ts`), a node of a shared log. */
export interface NodeProcess {
  readonly name: string;
  readonly url: string;
  readonly proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  /** Everything it printed so far (stdout and stderr). */
  readonly output: () => string;
  /** Every event its replica holds (its REST view of the log), in position order. */
  events(types?: string): Promise<WireEvent[]>;
  /** Stops it (SIGTERM; SIGKILL if it hangs) and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts a node on `databaseUrl` with a data directory of its own and the shared files directory,
 * on a free port; resolves once it listens.
 */
export async function startNode(name: string, databaseUrl: string, filesDir: string, env: Record<string, string> = {}): Promise<NodeProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), `voxlog-node-${name}-`));
  const proc = Bun.spawn(['bun', 'src/main.ts'], {
    cwd: join(import.meta.dir, '../..'),
    env: {
      ...process.env,
      ...LIFTED_LIMITS,
      PORT: '0',
      HOST: '127.0.0.1',
      VOXLOG_DATABASE_URL: databaseUrl,
      VOXLOG_NODE_ID: name,
      VOXLOG_DATA_DIR: dataDir,
      VOXLOG_FILES_DIR: filesDir,
      VOXLOG_MODELS_DIR: join(dataDir, 'models'),
      VOXLOG_DEFAULT_MODEL: STREAMING_MODEL,
      VOXLOG_WORKERS_PER_MODEL: '1',
      ...env,
    },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  let text = '';
  const drain = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += new TextDecoder().decode(chunk);
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  for (let i = 0; i < 600 && !/listening on (http:\/\/\S+)/.test(text); i++) {
    if (proc.exitCode !== null) throw new Error(`node ${name} exited ${proc.exitCode}:\n${text}`);
    await Bun.sleep(50);
  }
  const url = /listening on (http:\/\/\S+)/.exec(text)?.[1];
  if (!url) throw new Error(`node ${name} did not start:\n${text}`);
  return {
    name,
    url,
    proc,
    output: () => text,
    async events(types) {
      const all: WireEvent[] = [];
      for (let after = 0; ; ) {
        const page = (await (await fetch(`${url}/api/v1/events?after=${after}&limit=5000${types ? `&type=${types}` : ''}`)).json()) as { events: WireEvent[]; next_after: number };
        all.push(...page.events);
        if (page.events.length === 0) return all;
        after = page.next_after;
      }
    },
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      // A clean stop drains sessions for up to 5 s; past 15 s it is not coming.
      if ((await Promise.race([proc.exited, Bun.sleep(15_000).then(() => 'stuck')])) === 'stuck') proc.kill('SIGKILL');
      await proc.exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it returns something truthy (or `ms` pass: then the last value). */
export async function until<T>(probe: () => Promise<T> | T, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v || Date.now() > end) return v;
    await Bun.sleep(50);
  }
}
