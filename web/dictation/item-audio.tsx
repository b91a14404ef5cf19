import { useEffect, useState } from 'preact/hooks';
import { api, apiBlob } from '../api';
import { ErrorNote } from '../components/ui';
import type { Item } from '../types';

type Audio = Item['audio'];

/** The item's spoken audio: waits while it is generated, then plays it (fetched with the token, as a blob). */
export function ItemAudio({ item }: { readonly item: Item }) {
  const [audio, setAudio] = useState<Audio>(item.audio);
  const [src, setSrc] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    setAudio(item.audio);
    setSrc(null);
    setError(null);
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let url: string | null = null;
    const check = async () => {
      try {
        const now = await api<Audio>(`/api/v1/items/${item.id}/tts-status`);
        if (!live) return;
        setAudio(now);
        if (now.status === 'pending') timer = setTimeout(check, 700);
        if (now.status === 'ready') {
          url = URL.createObjectURL(await apiBlob(now.url));
          if (live) setSrc(url);
        }
      } catch (err) {
        if (live) setError(err);
      }
    };
    void check();
    return () => {
      live = false;
      clearTimeout(timer);
      if (url) URL.revokeObjectURL(url);
    };
  }, [item.id]);

  return (
    <div class="item-audio">
      <p>
        Audio: <span class={`badge ${audio.status}`} data-tts-status={audio.status}>{audio.status}</span>
        {audio.voice && <small class="muted"> · voice {audio.voice}</small>}
        {audio.error && <small class="muted"> · {audio.error}</small>}
      </p>
      {src && <audio controls src={src} preload="auto" aria-label="the item read aloud" />}
      <ErrorNote error={error} />
    </div>
  );
}
