import { percent } from '../components/ui';
import type { Attempt } from '../types';

const SAY = { correct: 'correct', substituted: 'substituted', missing: 'missing', extra: 'extra' } as const;

/** A scored attempt: WER and accuracy, then each word marked (colour, line style and a label, so not by colour alone). */
export function Feedback({ attempt }: { readonly attempt: Attempt }) {
  return (
    <div class="card" aria-live="polite" data-attempt={attempt.id}>
      <p>
        <strong>Score</strong>: accuracy {percent(attempt.accuracy)} · WER {attempt.wer.toFixed(3)} · CER {attempt.cer.toFixed(3)} ({attempt.kind})
      </p>
      <p class="muted">Reference: {attempt.reference}</p>
      <p class="muted">You: {attempt.text || '(nothing)'}</p>
      <div class="words" aria-label="per-word feedback">
        {attempt.words.map((w, i) => (
          <span key={i} class={`mark-${w.mark}`} data-mark={w.mark} title={`${SAY[w.mark]}${w.mark === 'substituted' ? `: expected "${w.ref}"` : ''}`}>
            {w.mark === 'missing' ? w.ref : w.hyp}
            {w.mark === 'substituted' && <small> (for “{w.ref}”)</small>}
            <span class="sr-only"> {SAY[w.mark]}</span>
          </span>
        ))}
      </div>
      <p class="legend">
        {Object.keys(SAY).map((m) => (
          <span key={m} class={`badge mark-${m}`}>
            {m}
          </span>
        ))}
      </p>
    </div>
  );
}
