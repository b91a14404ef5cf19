import { streamAudio } from '../../src/client/stream-client';
import { realtimeClient } from '../lib/clients';
import { rssMb, startServerProcess } from '../lib/proc';
import { programme } from './concurrency';

export interface MemoryResult {
  readonly idle_server_mb: number;
  readonly per_loaded_model_mb: Record<string, number>;
  readonly per_idle_session_mb: number;
  readonly per_active_session_mb: number;
  readonly sessions_measured: number;
  readonly soak: { minutes: number; clients: number; samples: { at_s: number; rss_mb: number }[]; start_mb: number; end_mb: number; max_mb: number; slope_mb_per_min: number };
}

const settle = () => Bun.sleep(500);

/** Server RSS at rest, per model, per idle and active session, and over a soak. */
export async function memory(opts: { models: string[]; sessions: number; soakMinutes: number; soakClients: number; clips: Uint8Array[] }): Promise<MemoryResult> {
  const server = await startServerProcess({ VOXLOG_WORKERS_PER_MODEL: '1' });
  try {
    await settle();
    const idle = rssMb(server.pid);
    const perModel: Record<string, number> = {};
    let before = idle;
    for (const model of opts.models) {
      await streamAudio({ url: server.wsUrl({ model }), audio: opts.clips[0]! as Uint8Array<ArrayBuffer>, frameBytes: 3200 });
      await settle();
      const after = rssMb(server.pid);
      perModel[model] = after - before;
      before = after;
    }
    // Idle sessions: connected and ready, no audio.
    const sockets = await Promise.all(
      Array.from({ length: opts.sessions }, () => new Promise<WebSocket>((resolve) => {
        const ws = new WebSocket(server.wsUrl());
        ws.onmessage = () => resolve(ws);
      })),
    );
    await settle();
    const withIdle = rssMb(server.pid);
    for (const ws of sockets) ws.close();
    await Bun.sleep(1000);
    // RSS rarely shrinks after a close, so active sessions are measured from here.
    const base = rssMb(server.pid);
    // Active sessions: the same number streaming in real time; sampled in the middle.
    const active = Promise.all(Array.from({ length: opts.sessions }, (_, i) => realtimeClient(server.wsUrl(), programme(opts.clips, i, 6))));
    await Bun.sleep(3500);
    const withActive = rssMb(server.pid);
    await active;

    const soakMs = opts.soakMinutes * 60_000;
    const samples: { at_s: number; rss_mb: number }[] = [];
    const t0 = performance.now();
    const soakers = Array.from({ length: opts.soakClients }, (_, i) => realtimeClient(server.wsUrl(), programme(opts.clips, i, Math.ceil(soakMs / 1000))));
    const every = Math.max(1000, soakMs / 30);
    while (performance.now() - t0 < soakMs) {
      samples.push({ at_s: Math.round((performance.now() - t0) / 1000), rss_mb: rssMb(server.pid) });
      await Bun.sleep(every);
    }
    await Promise.all(soakers);
    const tail = samples.slice(Math.floor(samples.length / 2));
    return {
      idle_server_mb: idle,
      per_loaded_model_mb: perModel,
      per_idle_session_mb: (withIdle - before) / opts.sessions,
      per_active_session_mb: (withActive - base) / opts.sessions,
      sessions_measured: opts.sessions,
      soak: {
        minutes: opts.soakMinutes,
        clients: opts.soakClients,
        samples,
        start_mb: samples[0]?.rss_mb ?? Number.NaN,
        end_mb: samples.at(-1)?.rss_mb ?? Number.NaN,
        max_mb: Math.max(...samples.map((s) => s.rss_mb)),
        slope_mb_per_min: slope(tail.map((s) => [s.at_s / 60, s.rss_mb])),
      },
    };
  } finally {
    await server.stop();
  }
}

/** Least-squares slope of y over x. */
function slope(points: number[][]): number {
  if (points.length < 2) return Number.NaN;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0]!, 0) / n;
  const my = points.reduce((a, p) => a + p[1]!, 0) / n;
  const num = points.reduce((a, p) => a + (p[0]! - mx) * (p[1]! - my), 0);
  const den = points.reduce((a, p) => a + (p[0]! - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}
