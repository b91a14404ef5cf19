import { statSync } from 'node:fs';
import { PROBE_COMMAND, runChild } from './child-command';
import type { LoadSpec } from './protocol';

const PROBE_TIMEOUT_MS = 60_000;

/** How many streams one decode call may take (null: no limit from the model), and why. */
export interface BatchCapacity {
  readonly size: number | null;
  readonly reason: string;
}

export type ProbeResult = { readonly ok: true; readonly ms: number; readonly batch?: BatchCapacity } | { readonly ok: false; readonly reason: string };

/**
 * Loads the model in a child process first, so a file that makes native code abort fails there,
 * not in the server. Results are remembered per file set (path, size, mtime).
 */
export class ModelProbe {
  private readonly results = new Map<string, Promise<ProbeResult>>();

  check(spec: LoadSpec, files: readonly string[]): Promise<ProbeResult> {
    const key = files.map((f) => {
      const st = statSync(f);
      return `${f}:${st.size}:${st.mtimeMs}`;
    }).join('|');
    let result = this.results.get(key);
    if (!result) {
      result = run(spec);
      this.results.set(key, result);
    }
    return result;
  }
}

async function run(spec: LoadSpec): Promise<ProbeResult> {
  const t0 = performance.now();
  const { code, lines, why } = await runChild(PROBE_COMMAND, JSON.stringify(spec), PROBE_TIMEOUT_MS);
  if (lines.includes('ok')) {
    const ms = Math.round(performance.now() - t0);
    const said = lines.find((l) => l.startsWith('batch '))?.match(/^batch (\d+|any) (.*)$/);
    if (code === 0 && said) return { ok: true, ms, batch: { size: said[1] === 'any' ? null : Number(said[1]), reason: said[2]! } };
    if (code === 0) return { ok: true, ms };
    // The model decoded; only the two-stream decodeStreams call after it failed.
    return { ok: true, ms, batch: { size: 1, reason: `decodeStreams aborted in the probe process ${why}` } };
  }
  return { ok: false, reason: `the model crashed or failed when loaded in a probe process ${why}` };
}
