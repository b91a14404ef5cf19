// The engines that turn an item's text into speech: flite and espeak-ng as subprocesses, and
// sherpa-onnx neural voices in a child process of our own (native code must not run on the
// server's thread, and a bad model must not take the server down).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { childCommand, stderrDetail, TTS_COMMAND } from '../../engine/child-command';
import { locateModel } from '../../engine/model-files';
import type { SherpaTtsRequest } from './sherpa-child';
import type { Voice, VoiceEnvironment } from './voices';

/** A synthesis that failed; `transient` ones are worth another try. */
export class TtsError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

/** espeak-ng's default rate in words per minute (speed 1). */
const ESPEAK_WPM = 175;

export interface SynthesisLimits {
  readonly timeoutMs: number;
  /** Aborted when the server stops: the child is killed and the audio stays pending in the log. */
  readonly signal: AbortSignal;
}

/** Writes `text` spoken by `voice` at `speed` (0.5–2) to the WAV file `out`. */
export async function synthesize(voice: Voice, text: string, speed: number, out: string, env: VoiceEnvironment, limits: SynthesisLimits): Promise<void> {
  // Text goes through a file, never the command line: a sentence starting with "-" is not an option.
  const textFile = `${out}.txt`;
  await Bun.write(textFile, text);
  try {
    switch (voice.provider) {
      case 'flite':
        return await run('flite', true, [env.flite, '-voice', voice.name, '--setf', `duration_stretch=${(1 / speed).toFixed(3)}`, '-f', textFile, '-o', out], limits);
      case 'espeak-ng':
        return await run('espeak-ng', true, [env.espeak, '-v', voice.name, '-s', String(Math.round(ESPEAK_WPM * speed)), '-f', textFile, '-w', out], limits);
      case 'sherpa-onnx':
        // A voice that will not load fails the same way every time: not worth a retry.
        return await run('the sherpa-onnx voice process', false, childCommand(TTS_COMMAND, JSON.stringify(sherpaRequest(voice, text, speed, out, env))), limits);
      default: {
        const never: never = voice.provider;
        throw new TtsError(`no provider ${String(never)}`, false);
      }
    }
  } finally {
    rmSync(textFile, { force: true });
  }
}

/** The `OfflineTts` config of a catalog voice: its file roles are sherpa-onnx's own config keys. */
function sherpaRequest(voice: Voice, text: string, speed: number, out: string, env: VoiceEnvironment): SherpaTtsRequest {
  const entry = env.catalog.find((m) => m.id === voice.name);
  if (!entry?.tts) throw new TtsError(`${voice.name} is not a text-to-speech voice in the catalog`, false);
  const loc = locateModel(entry, env.modelDirs);
  if (!loc.available) throw new TtsError(loc.reason, false);
  const files = Object.fromEntries(Object.entries(entry.files).map(([role, f]) => [role, join(loc.dir, f)]));
  return { config: { model: { [entry.tts]: files, numThreads: 1, provider: 'cpu', debug: 0 }, maxNumSentences: 1 }, text, speed, speaker: 0, out };
}

/** Runs one synthesis child; `exitIsTransient` says whether a plain failure exit is worth another try. */
async function run(label: string, exitIsTransient: boolean, argv: string[], { timeoutMs, signal }: SynthesisLimits): Promise<void> {
  let child: Bun.Subprocess<'ignore', 'ignore', 'pipe'>;
  try {
    child = Bun.spawn(argv, { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', timeout: timeoutMs, killSignal: 'SIGKILL', signal });
  } catch (err) {
    throw new TtsError(`cannot run ${label} (${argv[0]}): ${(err as Error).message}`, false);
  }
  const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited]);
  if (code === 0) return;
  const detail = stderrDetail(stderr);
  if (child.signalCode === 'SIGKILL') throw new TtsError(`${label} took longer than ${timeoutMs} ms`, true);
  // A native abort (a model that does not load) happens again on every try.
  if (child.signalCode) throw new TtsError(`${label} crashed (${child.signalCode})${detail ? `: ${detail}` : ''}`, false);
  throw new TtsError(`${label} failed with exit code ${code}${detail ? `: ${detail}` : ''}`, exitIsTransient);
}
