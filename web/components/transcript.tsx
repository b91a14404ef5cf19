import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { apiBlob } from '../api';
import { clock, ErrorNote } from './ui';

export interface TimedWord {
  readonly word: string;
  readonly start_ms: number;
  readonly end_ms: number;
}

export interface TranscriptSegment {
  readonly start_ms: number;
  readonly text: string;
  /** The written words with their times on the audio's timeline (empty: the text is shown untimed). */
  readonly words: readonly TimedWord[];
}

/** The index of the word being spoken at `ms`: the last word started by then, while it lasts or until the next one starts. */
export function wordAt(words: readonly TimedWord[], ms: number): number {
  let lo = 0;
  let hi = words.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (words[mid]!.start_ms <= ms) (found = mid), (lo = mid + 1);
    else hi = mid - 1;
  }
  return found;
}

/**
 * A transcript that follows its audio: the word being spoken is highlighted as it plays, and a click
 * on a word plays from there. Without audio (`audioPath` null) it is the text with its times.
 */
export function Transcript({ audioPath, segments, label }: { readonly audioPath: string | null; readonly segments: readonly TranscriptSegment[]; readonly label: string }) {
  const audio = useRef<HTMLAudioElement>(null);
  const [src, setSrc] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [now, setNow] = useState(-1);
  // Read on every animation frame while the audio plays: worked out once per transcript.
  const { words, firsts } = useMemo(() => {
    // Each segment's first word's index in `words`, so a segment renders its own slice.
    const starts: number[] = [];
    let n = 0;
    for (const s of segments) starts.push(n), (n += s.words.length);
    return { words: segments.flatMap((s) => s.words), firsts: starts };
  }, [segments]);

  useEffect(() => {
    if (!audioPath) return;
    let url: string | null = null;
    let live = true;
    // Fetched with the token (an <audio src> cannot send it), then played from memory.
    apiBlob(audioPath).then(
      (blob) => live && setSrc((url = URL.createObjectURL(blob))),
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [audioPath]);

  useEffect(() => {
    const el = audio.current;
    if (!el) return;
    let frame = 0;
    const follow = () => {
      setNow(wordAt(words, el.currentTime * 1000));
      if (!el.paused) frame = requestAnimationFrame(follow);
    };
    const start = () => (cancelAnimationFrame(frame), (frame = requestAnimationFrame(follow)));
    el.addEventListener('play', start);
    el.addEventListener('seeked', follow);
    el.addEventListener('timeupdate', follow);
    return () => {
      cancelAnimationFrame(frame);
      el.removeEventListener('play', start);
      el.removeEventListener('seeked', follow);
      el.removeEventListener('timeupdate', follow);
    };
  }, [src, words]);

  const seek = (ms: number) => {
    const el = audio.current;
    if (!el) return;
    el.currentTime = ms / 1000;
    void el.play().catch(() => {});
  };

  return (
    <div class="read" aria-label={label}>
      {audioPath && (src ? <audio ref={audio} controls src={src} preload="auto" aria-label={`${label}: audio`} /> : !error && <p class="muted">Loading the audio…</p>)}
      <ErrorNote error={error} />
      {segments.length === 0 && <p class="muted">No transcript.</p>}
      {segments.map((s, i) => (
        <p key={i} class="read-segment">
          <button type="button" class="link time" onClick={() => seek(s.start_ms)} disabled={!src} title="play from here">
            {clock(s.start_ms)}
          </button>{' '}
          {s.words.length === 0
            ? s.text
            : s.words.map((w, j) => {
                const at = firsts[i]! + j;
                return (
                  <span key={j}>
                    <span class={`w${at === now ? ' now' : ''}`} aria-current={at === now ? 'true' : undefined} data-start={w.start_ms} onClick={() => seek(w.start_ms)}>
                      {w.word}
                    </span>{' '}
                  </span>
                );
              })}
        </p>
      ))}
    </div>
  );
}
