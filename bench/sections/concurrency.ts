import { realtimeClient, type RealtimeResult } from '../lib/clients';
import { cpuSeconds, pct, startServerProcess, threadCpuSeconds, type ServerProcess } from '../lib/proc';

export interface LevelResult {
  readonly clients: number;
  readonly partial_lag_ms: { p50: number; p95: number; p99: number };
  /** Median lag in the second half of the stream minus the first half: a growing backlog shows here. */
  readonly backlog_growth_ms: number;
  readonly endpoint_to_final_ms: { p50: number; p95: number };
  readonly server_cpu_pct: number;
  /** The server's main thread alone (it serves every socket and the log). */
  readonly main_thread_cpu_pct: number;
  readonly loadgen_cpu_pct: number;
  /** Engine time per audio second at this level, from /metrics (batching lowers it). */
  readonly engine_rtf: number;
  /** p95 of each segment's first partial, from the end of the audio that completed it. */
  readonly first_partial_lag_p95_ms: number;
  readonly holds: boolean;
}

export interface LatencyDistribution {
  readonly clients: number;
  readonly first_partial_ms: { p50: number; p90: number; p99: number; n: number };
  readonly endpoint_to_final_ms: { p50: number; p90: number; p99: number; n: number };
  readonly server_final_latency_ms: { p50: number; p90: number; p99: number; n: number };
}

export interface ConcurrencyResult {
  readonly seconds_per_client: number;
  readonly levels: LevelResult[];
  readonly largest_holding: number;
  readonly latency: LatencyDistribution[];
}

/** Holding means p95 partial lag under this, without a growing backlog. */
export const LAG_LIMIT_MS = 500;
const GROWTH_LIMIT_MS = 150;

/**
 * What each client says: speech, then `gap` of silence (seconds, or `equal`: as long as the clip
 * before it, half the time speech, as in a conversation), speech, ... cut to `seconds`; each client
 * starts at a different clip. In a conversation about half the clients listen first (start with their
 * silence), as the two sides of a call take turns: about half speak at any moment, never all at once.
 * Which half is a fixed pseudo-random pick, not every other client: servers place new streams on
 * their workers in turn, so odd/even put every first speaker on one worker and every listener on the
 * other (measured at 88 clients: p95 partial lag 1110 ms that way, 139 ms with the pick).
 * The silence is ±30 LSB of noise, as a quiet room gives.
 */
export function programme(clips: Uint8Array[], offset: number, seconds: number, gap: number | 'equal' = 1.5): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(seconds * 32000);
  const view = new DataView(out.buffer);
  let s = 5 + offset;
  for (let i = 0; i < out.length; i += 2) view.setInt16(i, Math.round(((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1) * 30), true);
  const listensFirst = gap === 'equal' && Math.imul(offset + 1, 2654435761) >>> 31 === 1;
  for (let at = listensFirst ? clips[offset % clips.length]!.length : 0, i = offset; at < out.length; i++) {
    const c = clips[i % clips.length]!;
    out.set(c.subarray(0, Math.min(c.length, out.length - at)), at);
    at += c.length + (gap === 'equal' ? c.length : Math.round(gap * 16000) * 2);
  }
  return out;
}

/** The audio each client sends and the session query it sends it with. */
export interface Workload {
  readonly gap?: number | 'equal';
  readonly query?: Record<string, string>;
  /** Called with each server's URL after each level, before the next (to read its /metrics at that load). */
  readonly inspect?: (url: string) => Promise<void>;
}

/**
 * N clients at 1x real time, N rising until p95 lag or backlog breaks (or the levels run out). With
 * `refine`, the gap between the last level that held and the first that did not is then halved
 * until it is within 10 % (at least 4 clients), so the largest holding N is not an artefact of the grid.
 * With `nodes` (each one's own environment added to `env`), that many servers run, the clients dealt
 * out among them in turn (a load balancer's round robin); CPU and engine time are their sums.
 */
export async function concurrency(
  clips: Uint8Array[],
  levels: number[],
  seconds: number,
  env: Record<string, string> = {},
  refine = false,
  nodes: Record<string, string>[] = [{}],
  workload: Workload = {},
): Promise<ConcurrencyResult & { raw: Map<number, RealtimeResult[]> }> {
  const servers = await Promise.all(nodes.map((own) => startServerProcess({ ...env, ...own })));
  const sum = (f: (s: ServerProcess) => number) => servers.reduce((n, s) => n + f(s), 0);
  const engineTotal = async () => (await Promise.all(servers.map((s) => engineSeconds(s.url)))).reduce((a, b) => ({ decode: a.decode + b.decode, audio: a.audio + b.audio }));
  const results: LevelResult[] = [];
  const raw = new Map<number, RealtimeResult[]>();
  const run = async (n: number): Promise<LevelResult> => {
    const s0 = sum((s) => cpuSeconds(s.pid));
    const m0 = sum((s) => threadCpuSeconds(s.pid));
    const l0 = cpuSeconds(process.pid, true);
    const e0 = await engineTotal();
    const t0 = performance.now();
    const runs = await Promise.all(Array.from({ length: n }, (_, i) => realtimeClient(servers[i % servers.length]!.wsUrl(workload.query), programme(clips, i, seconds, workload.gap))));
    const wall = (performance.now() - t0) / 1000;
    const e1 = await engineTotal();
    raw.set(n, runs);
    if (workload.inspect) for (const s of servers) await workload.inspect(s.url);
    const lags = runs.flatMap((r) => r.partialLag);
    const growth = pct(runs.flatMap((r) => r.lagSecondHalf), 50) - pct(runs.flatMap((r) => r.lagFirstHalf), 50);
    const level: LevelResult = {
      clients: n,
      partial_lag_ms: { p50: pct(lags, 50), p95: pct(lags, 95), p99: pct(lags, 99) },
      backlog_growth_ms: growth,
      endpoint_to_final_ms: { p50: pct(runs.flatMap((r) => r.endpointToFinal), 50), p95: pct(runs.flatMap((r) => r.endpointToFinal), 95) },
      server_cpu_pct: ((sum((s) => cpuSeconds(s.pid)) - s0) / wall) * 100,
      main_thread_cpu_pct: ((sum((s) => threadCpuSeconds(s.pid)) - m0) / wall) * 100,
      loadgen_cpu_pct: ((cpuSeconds(process.pid, true) - l0) / wall) * 100,
      engine_rtf: (e1.decode - e0.decode) / Math.max(1e-9, e1.audio - e0.audio),
      first_partial_lag_p95_ms: pct(runs.flatMap((r) => r.firstPartialLag), 95),
      holds: pct(lags, 95) < LAG_LIMIT_MS && growth < GROWTH_LIMIT_MS,
    };
    results.push(level);
    return level;
  };
  try {
    await Promise.all(servers.map((s) => realtimeClient(s.wsUrl(workload.query), programme(clips, 0, 1)))); // load the model
    for (const n of levels) if (!(await run(n)).holds) break;
    let lo = Math.max(0, ...results.filter((l) => l.holds).map((l) => l.clients));
    let hi = Math.min(...results.filter((l) => !l.holds).map((l) => l.clients));
    while (refine && Number.isFinite(hi) && hi - lo > Math.max(4, lo * 0.1)) {
      const mid = Math.round((lo + hi) / 2);
      if ((await run(mid)).holds) lo = mid;
      else hi = mid;
    }
    results.sort((a, b) => a.clients - b.clients);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  const holding = results.filter((l) => l.holds).map((l) => l.clients);
  const largest = holding.length > 0 ? Math.max(...holding) : 0;
  const dist = (n: number): LatencyDistribution => {
    const runs = raw.get(n) ?? [];
    const d = (xs: number[]) => ({ p50: pct(xs, 50), p90: pct(xs, 90), p99: pct(xs, 99), n: xs.length });
    return { clients: n, first_partial_ms: d(runs.flatMap((r) => r.firstPartial)), endpoint_to_final_ms: d(runs.flatMap((r) => r.endpointToFinal)), server_final_latency_ms: d(runs.flatMap((r) => r.finalLatency)) };
  };
  const latency = [...new Set([results[0]?.clients ?? 1, largest || (results[0]?.clients ?? 1)])].map(dist);
  return { seconds_per_client: seconds, levels: results, largest_holding: largest, latency, raw };
}

/** One level of `n` clients (no sweep): its figures, e.g. at a fraction of the largest holding N. */
export async function atLevel(clips: Uint8Array[], n: number, seconds: number, workload: Workload = {}): Promise<LevelResult & { endpoint_to_final_p95_ms: number }> {
  const r = await concurrency(clips, [n], seconds, {}, false, [{}], workload);
  const level = r.levels[0]!;
  return { ...level, endpoint_to_final_p95_ms: pct((r.raw.get(n) ?? []).flatMap((x) => x.endpointToFinal), 95) };
}

/** Engine decode and audio seconds so far, summed over models (Prometheus counters in /metrics). */
async function engineSeconds(url: string): Promise<{ decode: number; audio: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = (name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`)).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  return { decode: sum('voxlog_decode_seconds_total'), audio: sum('voxlog_audio_seconds_total') };
}
