import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBigLog } from '../../test/helpers/big-log';
import { pct, rssMb, startServerProcess, type ServerProcess } from '../lib/proc';

export interface TrustResult {
  /** GET /api/v1/sessions?limit=1, 8 at a time. */
  readonly requests_per_s: { auth_off: number; jwt: number; api_key: number };
  /** WebSocket open to `ready`, sequential sessions. */
  readonly session_open_ms_p50: { auth_off: number; jwt: number; api_key: number };
  readonly sse: { log_events: number; seconds: number; events_per_s: number; rss_before_mb: number; rss_peak_mb: number; paging_events_per_s: number };
}

const SECRET = 'bench-secret-of-at-least-thirty-two-characters';

async function requestRate(server: ServerProcess, token: string | undefined, n: number): Promise<number> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (done < n) {
        done += 1;
        const res = await fetch(`${server.url}/api/v1/sessions?limit=1`, { headers });
        if (res.status !== 200) throw new Error(`GET /api/v1/sessions answered ${res.status}`);
        await res.arrayBuffer();
      }
    }),
  );
  return Math.round((n / (performance.now() - t0)) * 1000);
}

async function sessionOpens(server: ServerProcess, token: string | undefined, n: number): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const ws = token ? new WebSocket(server.wsUrl(), { headers: { authorization: `Bearer ${token}` } } as unknown as string[]) : new WebSocket(server.wsUrl());
    await new Promise<void>((resolve, reject) => ((ws.onmessage = () => resolve()), (ws.onerror = () => reject(new Error('session refused')))));
    ms.push(performance.now() - t0);
    ws.close();
  }
  return pct(ms, 50);
}

/** Reads the live tail from position 0 to the end of the log; returns how long it took. */
async function drainSse(server: ServerProcess, until: number, onChunk: () => void): Promise<number> {
  const t0 = performance.now();
  const reader = (await fetch(`${server.url}/api/v1/events/stream?after=0`)).body!.getReader();
  const decoder = new TextDecoder();
  let tail = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    onChunk();
    const text = tail + decoder.decode(value, { stream: true });
    if (text.includes(`id: ${until}\n`)) break;
    tail = text.slice(-32); // an id line split across two chunks
  }
  await reader.cancel();
  return (performance.now() - t0) / 1000;
}

/** The cost of auth on the paths every client takes, and the live tail's memory on a big log. */
export async function trust(opts: { requests: number; sessions: number; sseEvents: number }): Promise<TrustResult> {
  const open = await startServerProcess({ VOXLOG_DEFAULT_MODEL: 'tiny-streaming-lstm-ctc-en' });
  const guarded = await startServerProcess({ VOXLOG_DEFAULT_MODEL: 'tiny-streaming-lstm-ctc-en', VOXLOG_AUTH: 'on', VOXLOG_SECRET_KEY: SECRET, VOXLOG_ADMIN_PASSWORD: 'bench-password' });
  let requests: TrustResult['requests_per_s'];
  let opens: TrustResult['session_open_ms_p50'];
  try {
    const signIn = await fetch(`${guarded.url}/api/v1/auth/token`, { method: 'POST', body: new URLSearchParams({ username: 'admin', password: 'bench-password' }) });
    const jwt = ((await signIn.json()) as { access_token: string }).access_token;
    const created = await fetch(`${guarded.url}/api/v1/auth/keys`, { method: 'POST', headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench' }) });
    const key = ((await created.json()) as { key: string }).key;
    // Warm both (JIT, model load) before measuring.
    await requestRate(open, undefined, 200);
    await requestRate(guarded, jwt, 200);
    await sessionOpens(open, undefined, 3);
    await sessionOpens(guarded, jwt, 3);
    requests = { auth_off: await requestRate(open, undefined, opts.requests), jwt: await requestRate(guarded, jwt, opts.requests), api_key: await requestRate(guarded, key, opts.requests) };
    opens = { auth_off: await sessionOpens(open, undefined, opts.sessions), jwt: await sessionOpens(guarded, jwt, opts.sessions), api_key: await sessionOpens(guarded, key, opts.sessions) };
  } finally {
    await open.stop();
    await guarded.stop();
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'voxlog-bench-sse-'));
  writeBigLog(dataDir, opts.sseEvents);
  const big = await startServerProcess({}, dataDir);
  try {
    const before = rssMb(big.pid);
    let peak = before;
    const seconds = await drainSse(big, opts.sseEvents, () => (peak = Math.max(peak, rssMb(big.pid))));
    const t0 = performance.now();
    for (let after = 0; after < opts.sseEvents; ) {
      const page = (await (await fetch(`${big.url}/api/v1/events?after=${after}&limit=5000`)).json()) as { next_after: number };
      after = page.next_after;
    }
    const pagingS = (performance.now() - t0) / 1000;
    return {
      requests_per_s: requests,
      session_open_ms_p50: opens,
      sse: { log_events: opts.sseEvents, seconds, events_per_s: Math.round(opts.sseEvents / seconds), rss_before_mb: before, rss_peak_mb: peak, paging_events_per_s: Math.round(opts.sseEvents / pagingS) },
    };
  } finally {
    await big.stop();
  }
}
