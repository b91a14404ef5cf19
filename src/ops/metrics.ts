import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Where the gauges read their current values from (called at scrape time). */
export interface MetricSources {
  readonly activeSessions: () => number;
  readonly workers: () => readonly { model: string; status: string; count: number }[];
  readonly logPosition: () => number;
  readonly sseSubscribers: () => number;
  /** Jobs by status (the `jobs` view). */
  readonly jobs: () => readonly { status: string; count: number }[];
}

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10];

/** voxlog's Prometheus metrics (`GET /metrics`), plus the process's own CPU and memory. */
export class Metrics {
  readonly registry = new Registry();
  readonly frames = new Counter({ name: 'voxlog_audio_frames_total', help: 'Binary audio frames received', registers: [this.registry] });
  readonly audioSeconds = new Counter({ name: 'voxlog_audio_seconds_total', help: 'Audio decoded by engines, seconds', labelNames: ['model'], registers: [this.registry] });
  readonly decodeSeconds = new Counter({ name: 'voxlog_decode_seconds_total', help: 'Engine worker time spent decoding, seconds (divide by audio seconds for the real-time factor)', labelNames: ['model'], registers: [this.registry] });
  readonly partialLag = new Histogram({ name: 'voxlog_partial_lag_seconds', help: 'From the audio that produced a partial reaching the server to the partial being sent', buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly finalLatency = new Histogram({ name: 'voxlog_final_latency_seconds', help: 'From the last audio of a segment reaching the server to its final being sent', buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly formatSeconds = new Histogram({ name: 'voxlog_final_format_seconds', help: "Time from a final leaving its engine to its written text (punctuation, case, figures; the format worker's round trip included)", buckets: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1], registers: [this.registry] });
  readonly batchStreams = new Histogram({ name: 'voxlog_decode_batch_streams', help: 'Streams decoded together in the call that decoded each audio frame (1: one by one)', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64], registers: [this.registry] });
  readonly restarts = new Counter({ name: 'voxlog_engine_restarts_total', help: 'Engine worker crashes followed by a restart', labelNames: ['model'], registers: [this.registry] });
  readonly appendSeconds = new Histogram({ name: 'voxlog_eventlog_append_seconds', help: 'Event log append latency (queue to commit)', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers: [this.registry] });
  readonly appendFailures = new Counter({ name: 'voxlog_eventlog_append_failures_total', help: 'Appends that failed', registers: [this.registry] });
  readonly rejected = new Counter({ name: 'voxlog_rejected_total', help: 'Connections, requests and messages refused, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly http = new Counter({ name: 'voxlog_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [this.registry] });
  readonly sessionsEnded = new Counter({ name: 'voxlog_sessions_ended_total', help: 'Sessions ended, by reason', labelNames: ['reason'], registers: [this.registry] });

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'voxlog_' });
    const r = [this.registry];
    new Gauge({ name: 'voxlog_sessions_active', help: 'Open WebSocket sessions', registers: r, collect() { this.set(sources.activeSessions()); } });
    new Gauge({ name: 'voxlog_eventlog_position', help: 'Global position of the newest event', registers: r, collect() { this.set(sources.logPosition()); } });
    new Gauge({ name: 'voxlog_sse_subscribers', help: 'Open live-tail (SSE) subscribers', registers: r, collect() { this.set(sources.sseSubscribers()); } });
    new Gauge({
      name: 'voxlog_jobs',
      help: 'Batch jobs by status (dead-lettered jobs count as failed)',
      labelNames: ['status'],
      registers: r,
      collect() {
        this.reset();
        for (const j of sources.jobs()) this.set({ status: j.status }, j.count);
      },
    });
    new Gauge({
      name: 'voxlog_engine_workers',
      help: 'Engine workers by model and status',
      labelNames: ['model', 'status'],
      registers: r,
      collect() {
        this.reset();
        for (const w of sources.workers()) this.set({ model: w.model, status: w.status }, w.count);
      },
    });
  }

  /** Mean real-time factor per model so far: decode time over audio time. */
  async meanRtf(): Promise<Record<string, number>> {
    const audio = (await this.audioSeconds.get()).values;
    const busy = new Map((await this.decodeSeconds.get()).values.map((v) => [v.labels.model, v.value]));
    return Object.fromEntries(audio.filter((v) => v.value > 0).map((v) => [String(v.labels.model), (busy.get(v.labels.model) ?? 0) / v.value]));
  }
}
