/** The microphone's input level (peak of the last 100 ms), on a decibel scale so speech moves it visibly. */
export function LevelMeter({ level }: { readonly level: number }) {
  const db = level > 0 ? 20 * Math.log10(level) : -60;
  const fill = Math.max(0, Math.min(1, (db + 60) / 60));
  return (
    <div class="level" role="meter" aria-label="input level" aria-valuemin={-60} aria-valuemax={0} aria-valuenow={Math.round(db)} aria-valuetext={`${Math.round(db)} dB`}>
      <div class="level-fill" style={{ width: `${fill * 100}%` }} />
    </div>
  );
}
