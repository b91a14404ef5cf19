import { valueOf } from '../components/form';
import { useRef, useState } from 'preact/hooks';
import { api, query } from '../api';
import { LevelMeter } from '../components/level';
import { ErrorNote, Field } from '../components/ui';
import { useRecorder } from '../live/use-recorder';
import type { Attempt, Item, Page, ServerMessage } from '../types';
import { Feedback } from './feedback';
import { ItemAudio } from './item-audio';

/** A spoken attempt is scored once its session closes; ask (by session, which answers an empty list until then) until it is. */
async function scoredAttempt(sessionId: string): Promise<Attempt> {
  for (let i = 0; i < 40; i++) {
    const found = await api<Page<'items', Attempt>>(`/api/v1/attempts${query({ session_id: sessionId, limit: 1 })}`);
    if (found.items[0]) return found.items[0];
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the spoken attempt was not scored within 20 s');
}

/** Practise one item: listen, then type or speak what you heard, and see each word marked. */
export function Practice({ item, model, onScored }: { readonly item: Item; readonly model: string; readonly onScored: () => void }) {
  const [text, setText] = useState('');
  const [result, setResult] = useState<Attempt | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [heard, setHeard] = useState('');
  const sessionId = useRef<string | undefined>(undefined);

  const scored = (a: Attempt) => (setResult(a), onScored());
  const onMessage = (m: ServerMessage) => {
    if (m.type === 'ready') sessionId.current = m.session_id;
    if (m.type === 'partial' || m.type === 'final') setHeard(m.text);
    if (m.type === 'closed' && sessionId.current) scoredAttempt(sessionId.current).then(scored, setError);
  };
  const rec = useRecorder(onMessage);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      scored(await api<Attempt>('/api/v1/attempts', { method: 'POST', json: { item_id: item.id, text } }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const speak = () => {
    if (rec.phase === 'recording') return void rec.stop();
    setResult(null);
    setHeard('');
    void rec.start(model, item.id);
  };

  return (
    <div class="card" aria-label="practice">
      <h2>Practise</h2>
      <p class="muted">
        {item.locale} · difficulty {item.difficulty} {item.tags.length > 0 && `· ${item.tags.join(', ')}`}
      </p>
      <ItemAudio item={item} />
      <form class="stack" onSubmit={submit}>
        <Field label="What you heard">
          <textarea name="attempt" value={text} onInput={(e) => setText(valueOf(e))} required />
        </Field>
        <div class="actions">
          <button class="primary" type="submit" disabled={busy || !text.trim()}>
            Score my typing
          </button>
          <button type="button" class={rec.phase === 'recording' ? 'danger' : ''} onClick={speak} disabled={rec.phase === 'starting' || rec.phase === 'stopping'}>
            {rec.phase === 'recording' ? 'Stop speaking' : 'Speak it instead'}
          </button>
          {rec.phase === 'recording' && <LevelMeter level={rec.level} />}
        </div>
      </form>
      {heard && rec.phase !== 'idle' && <p class="muted">Heard: {heard}</p>}
      {rec.problem && (
        <p class="note error" role="alert">
          {rec.problem}
        </p>
      )}
      <ErrorNote error={error} />
      {result && <Feedback attempt={result} />}
    </div>
  );
}
