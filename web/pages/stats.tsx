import { api } from '../api';
import { Chart } from '../components/chart';
import { ErrorNote, percent, useAsync } from '../components/ui';
import { ProgressChart } from '../dictation/progress-chart';

interface ModelStats {
  readonly model_id: string;
  readonly sessions: number;
  readonly finals: number;
  readonly audio_seconds: number;
  readonly latency_p50_ms: number | null;
  readonly latency_p95_ms: number | null;
}

interface Summary {
  readonly attempts: number;
  readonly items_practised: number;
  readonly mean_wer: number | null;
  readonly best_accuracy: number | null;
  readonly mean_accuracy: number | null;
  readonly practice_ms: number;
}

/** Transcription per model and dictation progress, as charts with their numbers. */
export function StatsPage() {
  const models = useAsync(() => api<{ models: ModelStats[] }>('/api/v1/stats/transcription'), []);
  const summary = useAsync(() => api<Summary>('/api/v1/stats/summary'), []);
  const rows = models.data?.models ?? [];
  const s = summary.data;
  return (
    <section aria-labelledby="stats-title">
      <h1 id="stats-title">Stats</h1>
      <h2>Transcription per model</h2>
      <ErrorNote error={models.error} />
      <div class="grid">
        <Chart
          title="Audio transcribed (minutes) and sessions"
          labels={rows.map((r) => r.model_id)}
          series={[
            { label: 'audio minutes', values: rows.map((r) => r.audio_seconds / 60), color: '#1f5f8b', bars: true, scale: 'minutes' },
            { label: 'sessions', values: rows.map((r) => r.sessions), color: '#8a5a00', scale: 'count' },
          ]}
        />
        <Chart
          title="Final latency (ms after the audio)"
          labels={rows.map((r) => r.model_id)}
          series={[
            { label: 'p50', values: rows.map((r) => r.latency_p50_ms), color: '#1e7b34', bars: true },
            { label: 'p95', values: rows.map((r) => r.latency_p95_ms), color: '#b3261e' },
          ]}
        />
      </div>
      <h2>Dictation</h2>
      <ErrorNote error={summary.error} />
      {s && (
        <div class="kpis">
          <div>
            <b>{s.attempts}</b> attempts
          </div>
          <div>
            <b>{s.items_practised}</b> items practised
          </div>
          <div>
            <b>{percent(s.mean_accuracy)}</b> mean accuracy
          </div>
          <div>
            <b>{percent(s.best_accuracy)}</b> best accuracy
          </div>
          <div>
            <b>{Math.round(s.practice_ms / 60_000)} min</b> spoken practice
          </div>
        </div>
      )}
      <ProgressChart days={30} />
    </section>
  );
}
