import { valueOf } from './form';
import { api } from '../api';
import type { Model } from '../types';
import { useAsync } from './ui';

/** The recognisers that can run (files on disk, not failed); the default first. */
export function useModels() {
  const r = useAsync(() => api<{ models: Model[] }>('/api/v1/models'), []);
  const usable = (r.data?.models ?? []).filter((m) => m.kind !== 'vad' && m.available && m.status !== 'failed').sort((a, b) => Number(b.default) - Number(a.default));
  return { models: usable, error: r.error, loading: r.loading, defaultId: usable.find((m) => m.default)?.id ?? usable[0]?.id ?? '' };
}

export function ModelSelect({ id, models, value, onChange }: { readonly id?: string; readonly models: readonly Model[]; readonly value: string; readonly onChange: (id: string) => void }) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(valueOf(e))}>
      {models.map((m) => (
        <option key={m.id} value={m.id} title={m.description}>
          {m.id}
          {m.default ? ' (default)' : ''} · {m.kind}
        </option>
      ))}
    </select>
  );
}
