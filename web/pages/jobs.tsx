import { valueOf } from '../components/form';
import { useEffect, useState } from 'preact/hooks';
import { api, query } from '../api';
import { ErrorNote, Field, Loading, Pager, useAsync } from '../components/ui';
import { ACTIVE, JobCard } from '../jobs/job-card';
import { UploadJob } from '../jobs/upload';
import type { Job, Page } from '../types';

const LIMIT = 20;
/**
 * Jobs followed over their own live feed at once. Each feed holds one of the six connections a browser opens
 * to a host over HTTP/1.1; a page following every queued job would starve its own API calls.
 */
const LIVE_FEEDS = 3;
const RANK: Record<string, number> = { running: 0, retrying: 1, queued: 2 };
/** How often the list is read again while it has active jobs that are not followed live. */
const REFRESH_MS = 3_000;
const STATUSES = ['', 'queued', 'running', 'retrying', 'completed', 'failed', 'cancelled', 'expired'];

/** Batch jobs: upload, the queue with live progress and logs, downloads, restart and delete. */
export function JobsPage() {
  const [status, setStatus] = useState('');
  const [q, setQ] = useState('');
  const [offset, setOffset] = useState(0);
  const list = useAsync(() => api<Page<'jobs', Job>>(`/api/v1/jobs${query({ status, q, limit: LIMIT, offset })}`), [status, q, offset]);
  const active = (list.data?.jobs ?? []).filter((j) => ACTIVE.has(j.status)).sort((a, b) => RANK[a.status]! - RANK[b.status]!);
  const followed = new Set(active.slice(0, LIVE_FEEDS).map((j) => j.id));
  const unfollowed = active.length > followed.size;
  useEffect(() => {
    if (!unfollowed) return;
    const timer = setInterval(list.reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [unfollowed]);
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <UploadJob onSubmitted={list.reload} />
      <div class="filters">
        <Field label="Status">
          <select value={status} onChange={(e) => (setStatus(valueOf(e)), setOffset(0))}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || 'any'}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Search">
          <input type="search" value={q} onInput={(e) => (setQ(valueOf(e)), setOffset(0))} />
        </Field>
      </div>
      <ErrorNote error={list.error} />
      {list.loading && !list.data && <Loading />}
      {list.data?.jobs.length === 0 && <p class="muted">No jobs yet: upload a recording above.</p>}
      {list.data?.jobs.map((j) => <JobCard key={j.id} initial={j} live={followed.has(j.id)} onChanged={list.reload} />)}
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
    </section>
  );
}
