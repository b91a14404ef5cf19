import { valueOf } from '../components/form';
import { useState } from 'preact/hooks';
import { api, query } from '../api';
import { useModels } from '../components/models';
import { clock, ErrorNote, Field, Loading, Pager, useAsync, when } from '../components/ui';
import { Link } from '../router';
import type { Page, SessionRow } from '../types';

const LIMIT = 25;
/** What a session's client spoke (the server's `?protocol=` filter takes these). */
const PROTOCOLS = ['voxlog', 'deepgram', 'wyoming', 'twilio', 'assemblyai', 'openai', 'flux', 'vosk', 'sherpa'];

/** Sessions, newest first, filtered by model, open or closed, and the protocol their client spoke. */
export function SessionsPage() {
  const { models } = useModels();
  const [model, setModel] = useState('');
  const [status, setStatus] = useState('');
  const [protocol, setProtocol] = useState('');
  const [offset, setOffset] = useState(0);
  const list = useAsync(() => api<Page<'items', SessionRow>>(`/api/v1/sessions${query({ model_id: model, status, protocol, limit: LIMIT, offset })}`), [model, status, protocol, offset]);
  const filter = (set: (v: string) => void) => (e: Event) => (set(valueOf(e)), setOffset(0));
  return (
    <section aria-labelledby="sessions-title">
      <h1 id="sessions-title">Sessions</h1>
      <div class="filters">
        <Field label="Model">
          <select value={model} onChange={filter(setModel)}>
            <option value="">any</option>
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.id}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Status">
          <select value={status} onChange={filter(setStatus)}>
            <option value="">any</option>
            <option value="open">open</option>
            <option value="closed">closed</option>
          </select>
        </Field>
        <Field label="Client">
          <select value={protocol} onChange={filter(setProtocol)}>
            <option value="">any</option>
            {PROTOCOLS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <ErrorNote error={list.error} />
      {list.loading && !list.data && <Loading />}
      {list.data && list.data.items.length === 0 && <p class="muted">No sessions yet: record one on the Live page.</p>}
      {list.data && list.data.items.length > 0 && (
        <div class="table-wrap">
          <table class="sessions">
            <thead>
              <tr>
                <th>Session</th>
                <th>Started</th>
                <th class="num">Length</th>
                <th>Model</th>
                <th>Client</th>
                <th class="num">Audio</th>
                <th class="num">Segments</th>
                <th>Ended</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((s) => (
                <tr key={s.id}>
                  <td>
                    <Link href={`/sessions/${s.id}`} class="first-words">
                      {s.first_words ? `${s.first_words}${s.first_words.length >= 120 ? '…' : ''}` : <span class="muted">no words</span>}
                    </Link>
                    <small class="muted">
                      {s.id}
                      {s.recorded && ' · audio kept'}
                    </small>
                  </td>
                  <td>{when(s.created_at)}</td>
                  <td class="num">{s.duration_ms === null ? '–' : clock(s.duration_ms)}</td>
                  <td>{s.model_id}</td>
                  <td>{s.protocol}</td>
                  <td class="num">{clock(s.audio_ms)}</td>
                  <td class="num">{s.segments}</td>
                  <td>{s.closed_at ? s.close_reason : <span class="badge running">open</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
    </section>
  );
}
