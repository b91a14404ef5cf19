import { valueOf } from '../components/form';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { bytes, ErrorNote, Field, useAsync } from '../components/ui';

interface Kpis {
  readonly sessions: number;
  readonly audio_hours: number;
  readonly finals: number;
  readonly mean_rtf: Record<string, number>;
  readonly cpu_seconds: number;
  readonly rss_bytes: number;
  readonly uptime_s: number;
}

/** Usage and resource figures since start. */
export function KpiCards() {
  const k = useAsync(() => api<Kpis>('/api/v1/admin/kpis'), []);
  const d = k.data;
  return (
    <>
      <ErrorNote error={k.error} />
      {d && (
        <div class="kpis" aria-label="KPIs">
          <div>
            <b>{d.sessions}</b> sessions
          </div>
          <div>
            <b>{d.audio_hours.toFixed(2)} h</b> audio
          </div>
          <div>
            <b>{d.finals}</b> finals
          </div>
          {Object.entries(d.mean_rtf).map(([m, rtf]) => (
            <div key={m}>
              <b>{rtf.toFixed(3)}</b> RTF {m}
            </div>
          ))}
          <div>
            <b>{Math.round(d.cpu_seconds)} s</b> CPU
          </div>
          <div>
            <b>{bytes(d.rss_bytes)}</b> memory
          </div>
          <div>
            <b>{Math.round(d.uptime_s / 60)} min</b> up
          </div>
        </div>
      )}
    </>
  );
}

/** A number setting read with GET and changed with PUT. */
function NumberSetting({ path, field, label, hint, min, max }: { readonly path: string; readonly field: string; readonly label: string; readonly hint: string; readonly min: number; readonly max: number }) {
  const current = useAsync(() => api<Record<string, number>>(path), [path]);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const save = (e: Event) => {
    e.preventDefault();
    setError(null);
    api(path, { method: 'PUT', json: { [field]: Number(draft) } }).then(() => (setSaved(true), current.reload()), setError);
  };
  return (
    <form class="toolbar" onSubmit={save} aria-label={label}>
      <Field label={label} hint={hint}>
        <input type="number" min={min} max={max} required value={draft || (current.data?.[field] ?? '')} onInput={(e) => (setSaved(false), setDraft(valueOf(e)))} />
      </Field>
      <button type="submit">Save</button>
      {saved && <span role="status">Saved.</span>}
      <ErrorNote error={current.error ?? error} />
    </form>
  );
}

export function JobSettings() {
  return (
    <div class="card">
      <h2>Jobs</h2>
      <NumberSetting path="/api/v1/admin/concurrency" field="max_concurrent_jobs" label="Jobs run at once" hint="0 pauses the queue" min={0} max={64} />
      <NumberSetting path="/api/v1/admin/retention" field="cleanup_days" label="Retention (days)" hint="finished jobs keep their upload and results this long" min={1} max={36500} />
    </div>
  );
}
