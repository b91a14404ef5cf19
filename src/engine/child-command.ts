/** The argument that makes the server's entry point run a model probe instead of a server. */
export const PROBE_COMMAND = '__probe';
/** The argument that makes it load sherpa-onnx's punctuation model and write one sentence (format/sherpa-punctuation.ts). */
export const PUNCT_PROBE_COMMAND = '__punct';
/** The argument that makes it an engine host process (VOXLOG_ENGINE_HOST=process; see engine/process-entry.ts). */
export const ENGINE_COMMAND = '__engine';
/** The argument that makes it synthesise speech with a sherpa-onnx voice (see dictation/tts/sherpa-child.ts). */
export const TTS_COMMAND = '__tts';

/** How to run the server's own entry point (or the binary itself) as a throwaway child for `command`. */
export const childCommand = (command: string, arg: string): string[] =>
  Bun.isStandaloneExecutable ? [process.execPath, command, arg] : [process.execPath, new URL('../main.ts', import.meta.url).pathname, command, arg];

/** The last lines of a child's stderr that say something: no stack frames, no Bun crash banner. */
export function stderrDetail(stderr: string, lines = 3): string {
  return stderr
    .split('\n')
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim())
    .filter((l) => l && !l.startsWith('at ') && !/^(\d+ \|.*|\^+|=+|Bun v|Linux|CPU:|Args:|Features:|Builtins:|Elapsed:|RSS:|panic:|oh no|To send|please file|https:\/\/bun\.report)/.test(l))
    .slice(-lines)
    .join(' | ')
    .slice(0, 400);
}

/** What a throwaway child printed (stdout, trimmed lines) and how it ended: "(exit code N): stderr detail". */
export interface ChildOutcome {
  readonly code: number;
  readonly lines: readonly string[];
  readonly why: string;
}

/** Runs the entry point as a throwaway child for `command` (a probe) and waits for it to end. */
export async function runChild(command: string, arg: string, timeoutMs: number): Promise<ChildOutcome> {
  const child = Bun.spawn(childCommand(command, arg), { stdout: 'pipe', stderr: 'pipe', timeout: timeoutMs });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  const how = child.signalCode ? `killed by ${child.signalCode}` : `exit code ${code}`;
  const detail = stderrDetail(err);
  return { code, lines: out.split('\n').map((l) => l.trim()), why: `(${how})${detail ? `: ${detail}` : ''}` };
}
