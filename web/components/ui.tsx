import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';

/** Loads something asynchronously and re-loads when `deps` change or on `reload()`. */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => void (live = false);
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** An error said plainly, announced to screen readers. */
export function ErrorNote({ error }: { readonly error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p class="note error" role="alert">
      {message}
    </p>
  );
}

export const Loading = () => <p class="muted" aria-live="polite">Loading…</p>;

/** A labelled form control: the label wraps the control, so clicking it focuses the control. */
export function Field({ label, children, hint }: { readonly label: string; readonly children: ComponentChildren; readonly hint?: string }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
      {hint && <small class="muted">{hint}</small>}
    </label>
  );
}

/** Previous / next for paged lists. */
export function Pager({ offset, limit, total, onChange }: { readonly offset: number; readonly limit: number; readonly total: number; readonly onChange: (offset: number) => void }) {
  if (total <= limit) return null;
  return (
    <nav class="pager" aria-label="pages">
      <button type="button" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        Previous
      </button>
      <span>
        {offset + 1}–{Math.min(total, offset + limit)} of {total}
      </span>
      <button type="button" disabled={offset + limit >= total} onClick={() => onChange(offset + limit)}>
        Next
      </button>
    </nav>
  );
}

/** 83450 → "1:23.45" */
export function clock(ms: number): string {
  const s = ms / 1000;
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(2).padStart(5, '0')}`;
}

export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '–');
export const percent = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);
export const bytes = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.round(n / 1e3)} kB`;
