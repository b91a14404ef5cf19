import { useState } from 'preact/hooks';
import { api } from '../api';
import { useSubmit, valueOf } from '../components/form';
import { ErrorNote, Field } from '../components/ui';
import type { Item, Tag } from '../types';

const tagList = (s: string) => s.split(',').map((t) => t.trim()).filter(Boolean);

/** New item: its text is read aloud by a voice in the background. */
export function CreateItem({ onCreated }: { readonly onCreated: (item: Item) => void }) {
  const [text, setText] = useState('');
  const [locale, setLocale] = useState('en-US');
  const [difficulty, setDifficulty] = useState('');
  const [tags, setTags] = useState('');
  const form = useSubmit(async () => {
    const item = await api<Item>('/api/v1/items', { method: 'POST', json: { text, locale, tags: tagList(tags), ...(difficulty ? { difficulty: Number(difficulty) } : {}) } });
    setText('');
    setTags('');
    onCreated(item);
  });
  return (
    <form class="card stack" onSubmit={form.onSubmit} aria-label="new item">
      <h2>New item</h2>
      <Field label="Text to dictate">
        <textarea name="text" required maxLength={1000} value={text} onInput={(e) => setText(valueOf(e))} />
      </Field>
      <div class="toolbar">
        <Field label="Locale">
          <input name="locale" required value={locale} size={8} onInput={(e) => setLocale(valueOf(e))} />
        </Field>
        <Field label="Difficulty">
          <select name="difficulty" value={difficulty} onChange={(e) => setDifficulty(valueOf(e))}>
            <option value="">inferred</option>
            {[1, 2, 3, 4, 5].map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Tags" hint="comma-separated">
          <input name="tags" value={tags} onInput={(e) => setTags(valueOf(e))} />
        </Field>
      </div>
      <button class="primary" type="submit" disabled={form.busy}>
        Create item
      </button>
      <ErrorNote error={form.error} />
    </form>
  );
}

/** Tags: create and delete. */
export function TagManager({ tags, onChanged }: { readonly tags: readonly Tag[]; readonly onChanged: () => void }) {
  const [name, setName] = useState('');
  const form = useSubmit(async () => {
    await api('/api/v1/tags', { method: 'POST', json: { name } });
    setName('');
    onChanged();
  });
  const remove = (tag: string) => api(`/api/v1/tags/${encodeURIComponent(tag)}`, { method: 'DELETE' }).then(onChanged);
  return (
    <form class="card stack" onSubmit={form.onSubmit} aria-label="tags">
      <h2>Tags</h2>
      <ul class="actions" aria-label="your tags">
        {tags.map((t) => (
          <li key={t.name} class="badge">
            {t.name} ({t.items}){' '}
            <button type="button" class="link" aria-label={`delete tag ${t.name}`} onClick={() => void remove(t.name)}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <Field label="New tag">
        <input name="tag" required maxLength={40} value={name} onInput={(e) => setName(valueOf(e))} />
      </Field>
      <button type="submit" disabled={form.busy}>
        Add tag
      </button>
      <ErrorNote error={form.error} />
    </form>
  );
}
