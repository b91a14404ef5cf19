import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Series {
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly color: string;
  /** Drawn as bars (counts) instead of a line (rates). */
  readonly bars?: boolean;
  /** Series on the same scale share an axis; a second scale gets an axis on the right. */
  readonly scale?: string;
}

interface ChartProps {
  readonly title: string;
  /** One label per x position (days, models). */
  readonly labels: readonly string[];
  readonly series: readonly Series[];
  readonly height?: number;
}

const bars = uPlot.paths.bars!({ size: [0.6, 48] });

/** The positions 0..n-1, every k-th of them so that at most `fit` remain. */
const everyNth = (n: number, fit: number): number[] => {
  const step = Math.ceil(n / fit);
  return Array.from({ length: n }, (_, i) => i).filter((i) => i % step === 0);
};

/** A small chart (uPlot on a canvas), with its numbers in a table beneath for screen readers and copying. */
export function Chart({ title, labels, series, height = 240 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || labels.length === 0) return;
    const scales = [...new Set(series.map((s) => s.scale ?? 'y'))];
    const opts: uPlot.Options = {
      width: el.clientWidth || 600,
      height,
      scales: { x: { time: false, range: (): uPlot.Range.MinMax => [-0.5, labels.length - 0.5] }, ...Object.fromEntries(scales.map((s) => [s, { range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => [Math.min(0, min), max > 0 ? max * 1.1 : 1] }])) },
      // The values are read off the table below: a hover legend would only repeat them (and read "Value: --" at rest).
      legend: { live: false },
      axes: [
        // One tick per label (thinned to fit): uPlot's own ticks fall between whole positions, and one
        // model's name was drawn five times over itself.
        {
          splits: (u) => everyNth(labels.length, Math.max(1, Math.floor(u.bbox.width / devicePixelRatio / 70))),
          // The labels drawn are also left on the element: the canvas cannot be read back.
          values: (_u, ticks) => ((el.dataset.xLabels = JSON.stringify(ticks.map((t) => labels[t] ?? ''))), ticks.map((t) => labels[t] ?? '')),
        },
        ...scales.map((s, i) => ({ scale: s, side: i === 0 ? 3 : 1, grid: { show: i === 0 } })),
      ],
      series: [{}, ...series.map((s) => ({ label: s.label, scale: s.scale ?? 'y', stroke: s.color, fill: s.bars ? `${s.color}99` : undefined, width: 2, paths: s.bars ? bars : undefined, points: { show: !s.bars } }))],
    };
    const data: uPlot.AlignedData = [labels.map((_, i) => i), ...series.map((s) => [...s.values])];
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => (resize.disconnect(), plot.destroy());
  }, [labels, series, height]);
  return (
    <figure class="card">
      <figcaption>
        <strong>{title}</strong>
      </figcaption>
      {labels.length === 0 ? <p class="muted">Nothing to chart yet.</p> : <div class="chart" ref={box} role="img" aria-label={title} />}
      {labels.length > 0 && (
        <details>
          <summary>Numbers</summary>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th />
                  {series.map((s) => (
                    <th key={s.label} class="num">
                      {s.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {labels.map((l, i) => (
                  <tr key={l}>
                    <td>{l}</td>
                    {series.map((s) => (
                      <td key={s.label} class="num">
                        {s.values[i] === null || s.values[i] === undefined ? '–' : Number(s.values[i]!.toFixed(3))}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </figure>
  );
}
