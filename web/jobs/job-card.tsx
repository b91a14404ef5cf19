import { valueOf } from '../components/form';
import { useEffect, useState } from 'preact/hooks';
import { api, apiBlob, feedUrl, saveBlob } from '../api';
import { clock, ErrorNote, when } from '../components/ui';
import { Transcript } from '../components/transcript';
import type { Job, JobSegment } from '../types';

const FORMATS = ['srt', 'vtt', 'txt', 'json', 'verbose_json'] as const;
export const ACTIVE = new Set(['queued', 'running', 'retrying']);
const extension = (f: string) => (f === 'verbose_json' ? 'verbose.json' : f);
/** Where a job came from, in words. */
const SOURCES: Record<Job['source'], string> = { web: 'uploaded here', api: 'jobs API', openai: 'OpenAI API', deepgram: 'Deepgram API', cli: 'command line' };

interface Line {
  readonly at: string;
  readonly level: string;
  readonly message: string;
}

/** Follows a job's live feed (SSE) while it has work ahead and `live` is set: its state, progress and log lines. */
function useJobFeed(initial: Job, live: boolean, onEnded: () => void) {
  const [job, setJob] = useState(initial);
  const [lines, setLines] = useState<Line[]>([]);
  useEffect(() => setJob(initial), [initial]);
  useEffect(() => {
    if (!live || !ACTIVE.has(initial.status)) return;
    const feed = new EventSource(feedUrl(`/api/v1/jobs/${initial.id}/events`));
    feed.addEventListener('job', (e) => setJob((JSON.parse(e.data) as { job: Job }).job));
    feed.addEventListener('progress', (e) => setJob((j) => ({ ...j, ...(JSON.parse(e.data) as Partial<Job>) })));
    feed.addEventListener('log', (e) => setLines((ls) => [...ls, JSON.parse(e.data) as Line]));
    feed.addEventListener('end', () => (feed.close(), onEnded()));
    return () => feed.close();
  }, [initial.id, initial.status, live]);
  return { job, lines };
}

/** One job: status, progress, its log, downloads, restart and delete; followed live when `live`. */
export function JobCard({ initial, live, onChanged }: { readonly initial: Job; readonly live: boolean; readonly onChanged: () => void }) {
  const { job, lines } = useJobFeed(initial, live, onChanged);
  const [format, setFormat] = useState<string>('srt');
  const [showLog, setShowLog] = useState(false);
  const [log, setLog] = useState<Line[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [reading, setReading] = useState<readonly JobSegment[] | null>(null);
  const act = (p: Promise<unknown>) => p.then(onChanged, setError);
  const toggleRead = async () => {
    if (reading) return setReading(null);
    setReading((await api<{ segments: JobSegment[] }>(`/api/v1/jobs/${job.id}/segments`).catch((e: unknown) => (setError(e), null)))?.segments ?? null);
  };
  const download = () => apiBlob(`/api/v1/jobs/${job.id}/download?format=${format}`).then((b) => saveBlob(b, `${job.name.replace(/\.[^.]+$/, '')}.${extension(format)}`), setError);
  const toggleLog = async () => {
    if (!showLog) setLog((await api<{ lines: Line[] }>(`/api/v1/jobs/${job.id}/log`).catch((e: unknown) => (setError(e), { lines: [] }))).lines);
    setShowLog(!showLog);
  };
  const shown = showLog ? [...log, ...lines.filter((l) => !log.some((o) => o.at === l.at && o.message === l.message))] : lines.slice(-3);
  return (
    <article class="card" aria-label={`job ${job.name}`} data-job={job.id} data-status={job.status}>
      <header class="toolbar">
        <strong>{job.name}</strong>
        <span class={`badge ${job.status}`}>{job.status}</span>
        {job.dead_letter && <span class="badge failed">dead letter</span>}
        <small class="muted">
          <span class="badge source" data-source={job.source}>{SOURCES[job.source]}</span> · {job.model_id} · {job.priority} · submitted {when(job.submitted_at)}
          {job.duration_ms !== null && ` · ${clock(job.duration_ms)} of audio`}
          {job.rtf !== null && ` · RTF ${job.rtf.toFixed(3)}`}
        </small>
      </header>
      <label class="field wide">
        <span>
          {Math.round(job.progress * 100)} %{job.chunks_found > 0 && ` · chunk ${job.chunks_done} of ${job.chunks_found}`}
        </span>
        <progress max={1} value={job.progress} aria-label={`progress of ${job.name}`} />
      </label>
      {job.error && <p class="note error">{job.error.message}</p>}
      {shown.length > 0 && (
        <pre class="log" aria-label="job log">
          {shown.map((l) => `${new Date(l.at).toLocaleTimeString()} ${l.level} ${l.message}`).join('\n')}
        </pre>
      )}
      <div class="actions">
        <select aria-label="download format" value={format} onChange={(e) => setFormat(valueOf(e))} disabled={job.status !== 'completed'}>
          {FORMATS.map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
        </select>
        <button type="button" onClick={download} disabled={job.status !== 'completed'}>
          Download
        </button>
        <button type="button" onClick={toggleRead} disabled={job.status !== 'completed'} aria-expanded={reading !== null}>
          {reading ? 'Hide transcript' : 'Read'}
        </button>
        <button type="button" onClick={toggleLog}>
          {showLog ? 'Hide log' : 'Show log'}
        </button>
        <button type="button" onClick={() => act(api(`/api/v1/jobs/${job.id}/restart`, { method: 'POST' }))} disabled={ACTIVE.has(job.status) || job.status === 'expired'}>
          Restart
        </button>
        <button type="button" class="danger" onClick={() => confirm(`Delete ${job.name} and its results?`) && act(api(`/api/v1/jobs/${job.id}`, { method: 'DELETE' }))}>
          Delete
        </button>
      </div>
      {reading && <Transcript label={`transcript of ${job.name}`} audioPath={`/api/v1/jobs/${job.id}/audio`} segments={reading} />}
      <ErrorNote error={error} />
    </article>
  );
}
