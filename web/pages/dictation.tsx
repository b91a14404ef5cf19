import { useEffect, useState } from 'preact/hooks';
import { api, query } from '../api';
import { valueOf } from '../components/form';
import { ModelSelect, useModels } from '../components/models';
import { ErrorNote, Field, Loading, Pager, percent, useAsync } from '../components/ui';
import { CreateItem, TagManager } from '../dictation/create';
import { Practice } from '../dictation/practice';
import { ProgressChart } from '../dictation/progress-chart';
import type { Item, Page, Tag } from '../types';

const LIMIT = 20;
/** How often the items are read again while some item's audio is being generated. */
const AUDIO_POLL_MS = 1_000;

function DifficultyField({ label, value, onChange }: { readonly label: string; readonly value: string; readonly onChange: (e: Event) => void }) {
  return (
    <Field label={label}>
      <select value={value} onChange={onChange}>
        {['', '1', '2', '3', '4', '5'].map((d) => (
          <option key={d} value={d}>
            {d || 'any'}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** Dictation practice: find an item, listen, type or speak it, see the score; create items and tags; progress. */
export function DictationPage() {
  const [filters, setFilters] = useState({ locale: '', tags: '', difficulty_min: '', difficulty_max: '', practiced: '', q: '' });
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<Item | null>(null);
  const [version, setVersion] = useState(0);
  const { models, defaultId } = useModels();
  const [model, setModel] = useState('');
  const items = useAsync(() => api<Page<'items', Item>>(`/api/v1/items${query({ ...filters, limit: LIMIT, offset })}`), [filters, offset, version]);
  // While an item's audio is being generated, the table reads it again, so its badge and the practice
  // panel beside it never disagree (the panel follows the same item's status).
  const generating = items.data?.items.some((it) => it.audio.status === 'pending') ?? false;
  useEffect(() => {
    if (!generating) return;
    const timer = setTimeout(items.reload, AUDIO_POLL_MS);
    return () => clearTimeout(timer);
  }, [generating, items.data]);
  const tags = useAsync(() => api<{ tags: Tag[] }>('/api/v1/tags'), [version]);
  const set = (k: keyof typeof filters) => (e: Event) => (setFilters({ ...filters, [k]: valueOf(e) }), setOffset(0));
  const changed = () => setVersion((v) => v + 1);

  return (
    <section aria-labelledby="dictation-title">
      <h1 id="dictation-title">Dictation</h1>
      <div class="filters" role="search" aria-label="filter items">
        <Field label="Search">
          <input type="search" value={filters.q} onInput={set('q')} />
        </Field>
        <Field label="Locale">
          <input value={filters.locale} size={6} onInput={set('locale')} placeholder="any" />
        </Field>
        <Field label="Tag">
          <select value={filters.tags} onChange={set('tags')}>
            <option value="">any</option>
            {tags.data?.tags.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </Field>
        <DifficultyField label="Difficulty from" value={filters.difficulty_min} onChange={set('difficulty_min')} />
        <DifficultyField label="to" value={filters.difficulty_max} onChange={set('difficulty_max')} />
        <Field label="Practised">
          <select value={filters.practiced} onChange={set('practiced')}>
            <option value="">any</option>
            <option value="true">yes</option>
            <option value="false">not yet</option>
          </select>
        </Field>
        <Field label="Model for speaking">
          <ModelSelect models={models} value={model || defaultId} onChange={setModel} />
        </Field>
      </div>
      <ErrorNote error={items.error} />
      {items.loading && !items.data && <Loading />}
      {items.data?.items.length === 0 && <p class="muted">No items match. Create one below.</p>}
      {items.data && items.data.items.length > 0 && (
        <div class="table-wrap">
          <table aria-label="items">
            <thead>
              <tr>
                <th>Item</th>
                <th>Locale</th>
                <th class="num">Difficulty</th>
                <th>Tags</th>
                <th>Audio</th>
                <th class="num">Attempts</th>
                <th class="num">Best</th>
              </tr>
            </thead>
            <tbody>
              {items.data.items.map((it) => (
                <tr key={it.id} aria-selected={selected?.id === it.id}>
                  <td>
                    <button type="button" class="link" onClick={() => setSelected(it)}>
                      {it.text}
                    </button>
                  </td>
                  <td>{it.locale}</td>
                  <td class="num">{it.difficulty}</td>
                  <td>{it.tags.join(', ')}</td>
                  <td>
                    <span class={`badge ${it.audio.status}`}>{it.audio.status}</span>
                  </td>
                  <td class="num">{it.attempts}</td>
                  <td class="num">{percent(it.best_score)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {items.data && <Pager offset={offset} limit={LIMIT} total={items.data.total} onChange={setOffset} />}
      {selected && <Practice key={selected.id} item={selected} model={model || defaultId} onScored={changed} />}
      <div class="grid">
        <CreateItem onCreated={(it) => (changed(), setSelected(it))} />
        <TagManager tags={tags.data?.tags ?? []} onChanged={changed} />
      </div>
      <ProgressChart version={version} />
    </section>
  );
}
