import { useState } from 'preact/hooks';
import { api } from '../api';
import { clock, ErrorNote, Field, Loading, useAsync, when } from '../components/ui';
import { Transcript } from '../components/transcript';
import { Link } from '../router';
import type { LoggedEvent, SessionDetail } from '../types';

/** The few fields worth a glance in each event; the full event is one click away in the API. */
function gist(e: LoggedEvent): string {
  const d = e.data;
  const pick = (...keys: string[]) => keys.filter((k) => d[k] !== undefined && d[k] !== null).map((k) => `${k}: ${typeof d[k] === 'object' ? JSON.stringify(d[k]) : String(d[k])}`);
  switch (e.type) {
    case 'SegmentFinalized':
      return [`#${String(d.segment)} ${clock(Number(d.start_ms))}–${clock(Number(d.end_ms))}`, JSON.stringify(d.text), `${String(d.latency_ms)} ms latency`].join(' · ');
    case 'PartialTranscribed':
      return `#${String(d.segment)} ${JSON.stringify(d.text)}`;
    default:
      return pick('model_id', 'from_model_id', 'to_model_id', 'encoding', 'sample_rate', 'reason', 'audio_ms', 'code', 'message', 'at_ms').join(' · ');
  }
}

/** One session: its segments with word timings, and its event timeline from the log. */
export function SessionPage({ id }: { readonly id: string }) {
  const session = useAsync(() => api<SessionDetail>(`/api/v1/sessions/${encodeURIComponent(id)}`), [id]);
  const events = useAsync(() => api<{ events: LoggedEvent[] }>(`/api/v1/sessions/${encodeURIComponent(id)}/events?limit=1000`), [id]);
  const [partials, setPartials] = useState(true);
  const s = session.data;
  const shown = (events.data?.events ?? []).filter((e) => partials || e.type !== 'PartialTranscribed');
  return (
    <section aria-labelledby="session-title">
      <p>
        <Link href="/sessions">← Sessions</Link>
      </p>
      <h1 id="session-title">Session {id}</h1>
      <ErrorNote error={session.error} />
      {session.loading && !s && <Loading />}
      {s && (
        <>
          <p class="muted">
            {s.model_id} · {s.encoding} {s.sample_rate} Hz · started {when(s.created_at)} · {clock(s.audio_ms)} of audio · {s.closed_at ? `ended ${when(s.closed_at)} (${s.close_reason})` : 'open'}
          </p>
          <h2>Transcript</h2>
          {s.recorded ? (
            <Transcript
              label="session transcript"
              audioPath={`/api/v1/sessions/${encodeURIComponent(id)}/audio`}
              segments={s.segments.map((g) => ({ start_ms: g.start_ms, text: g.content, words: g.written_words ?? g.words }))}
            />
          ) : (
            <p class="muted">This session did not keep its audio: tick "Keep the audio" on the Live page (or open the socket with record=true) to play a session back word by word.</p>
          )}
          <h2>Segments</h2>
          {s.segments.length === 0 && <p class="muted">No final segments.</p>}
          <ol class="transcript" aria-label="segments">
            {s.segments.map((g) => (
              <li key={g.segment_seq} class="final">
                <time>
                  {clock(g.start_ms)}–{clock(g.end_ms)}
                </time>
                <div>
                  <div class="text">{g.content}</div>
                  {g.words.length > 0 && (
                    <div class="words" aria-label="word timings">
                      {g.words.map((w, i) => (
                        <span key={i} title={`${w.start_ms}–${w.end_ms} ms`}>
                          {w.word}
                          <small>{(w.start_ms / 1000).toFixed(2)}s</small>
                        </span>
                      ))}
                    </div>
                  )}
                  <small class="muted">
                    {g.model_id} · {g.latency_ms} ms after the audio
                  </small>
                </div>
              </li>
            ))}
          </ol>
        </>
      )}
      <h2>Event timeline</h2>
      <p class="muted">Every step as the log recorded it; the views above are rebuilt from these events.</p>
      <Field label="Show partials">
        <input type="checkbox" checked={partials} onChange={(e) => setPartials((e.target as HTMLInputElement).checked)} />
      </Field>
      <ErrorNote error={events.error} />
      <ol class="timeline" aria-label="events">
        {shown.map((e) => (
          <li key={e.id}>
            <strong>{e.type}</strong> <small class="muted">v{e.version} · position {e.position} · {new Date(e.created_at).toLocaleTimeString()}</small>
            <div>
              <code>{gist(e)}</code>
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}
