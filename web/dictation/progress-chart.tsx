import { api } from '../api';
import { Chart } from '../components/chart';
import { ErrorNote, useAsync } from '../components/ui';
import type { DayProgress } from '../types';

const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Attempts per day and mean accuracy over the last `days`, in the browser's time zone. */
export function ProgressChart({ days = 30, version = 0 }: { readonly days?: number; readonly version?: number }) {
  const r = useAsync(() => api<{ series: DayProgress[] }>(`/api/v1/stats/progress?days=${days}&tz=${encodeURIComponent(tz)}`), [days, version]);
  const series = r.data?.series ?? [];
  return (
    <>
      <ErrorNote error={r.error} />
      <Chart
        title={`Dictation progress, last ${days} days`}
        labels={series.map((d) => d.date.slice(5))}
        series={[
          { label: 'attempts', values: series.map((d) => d.attempts), color: '#1f5f8b', bars: true, scale: 'count' },
          { label: 'mean accuracy', values: series.map((d) => d.mean_accuracy), color: '#1e7b34', scale: 'ratio' },
        ]}
      />
    </>
  );
}
