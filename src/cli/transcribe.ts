// bun run transcribe FILE... [--server URL] [--model ID] [--format srt|vtt|txt|json] [--raw] [--out DIR]
// Transcribes recordings through the job pipeline: in this process, or through a server's jobs API.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AudioInputError, openAudio } from '../audio/input';
import { EngineRegistry } from '../engine/registry';
import { toSrt, toText, toVtt, type TextSegment } from '../jobs/formats';
import { FileFormatter, spokenWords, usePunctuationModel } from '../format/file-formatter';
import { choosePunctuation } from '../format/choice';
import { FORMATTED, writtenSegment, type Formatted } from '../format/formatter';
import { transcribeInChunks, type TimedSegment } from '../jobs/pipeline';
import { cliConfig, fail, parseCli } from './args';
import { progressLine } from './progress';
import { transcribeRemote, RemoteError } from './transcribe-remote';
import { PROGRAM } from '../program';

const USAGE = `usage: ${PROGRAM} transcribe FILE... [--server URL] [--token T] [--model ID] [--format srt|vtt|txt|json] [--raw] [--out DIR]

Transcribes each recording (WAV, or anything ffmpeg reads) and writes <name>.<format> into --out
(default: the current directory). Without --server it runs here, on this machine's cores; with
--server it submits jobs to a running voxlog (token: --token or VOXLOG_TOKEN when auth is on).
The transcript is written with punctuation, case and numbers as figures; --raw keeps the
recogniser's words as they came.

exit codes: 0 every file transcribed, 1 some file failed, 2 bad usage, 3 the server could not be
reached or refused the credentials`;

const FORMATS = ['srt', 'vtt', 'txt', 'json'] as const;
type CliFormat = (typeof FORMATS)[number];

const { values, positionals } = parseCli(USAGE, {
  server: { type: 'string' },
  token: { type: 'string' },
  model: { type: 'string' },
  format: { type: 'string', default: 'txt' },
  out: { type: 'string', default: '.' },
  raw: { type: 'boolean', default: false },
});
if (positionals.length === 0) fail(`name at least one file\n${USAGE}`);
const format = values.format as CliFormat;
if (!FORMATS.includes(format)) fail(`--format ${JSON.stringify(values.format)} must be one of ${FORMATS.join(', ')}`);
if (values.server !== undefined && !URL.canParse(values.server)) fail(`--server ${JSON.stringify(values.server)} is not a URL (e.g. http://127.0.0.1:8000)`);
mkdirSync(values.out!, { recursive: true });

/** The transcript of one file in the chosen format. */
export function render(f: CliFormat, file: string, modelId: string, audioMs: number, timed: readonly TimedSegment[], written: readonly Formatted[] | undefined): string {
  const segments: (TextSegment & { raw_text: string })[] = timed.map((s, id) => {
    const w = written?.[id] ? writtenSegment(s, written[id]) : s;
    return { id, text: w.text, start_ms: s.start_ms, end_ms: s.end_ms, words: [...w.words], raw_text: s.text };
  });
  const text = segments.map((s) => s.text).filter(Boolean).join(' ');
  if (f === 'srt') return toSrt(segments);
  if (f === 'vtt') return toVtt(segments);
  if (f === 'txt') return toText(segments);
  return `${JSON.stringify({ file: basename(file), model_id: modelId, audio_ms: audioMs, text, segments }, null, 2)}\n`;
}

/** "11.0 s in 0.9 s": the audio's length and how long it took, as both modes print it. */
const durations = (audioMs: number, tookMs: number): string => `${(audioMs / 1000).toFixed(1)} s in ${(tookMs / 1000).toFixed(1)} s`;
const outPath = (file: string) => join(values.out!, `${basename(file).replace(/\.[^.]*$/, '') || 'transcript'}.${format}`);
let failed = 0;

if (values.server === undefined) {
  const config = cliConfig();
  const registry = new EngineRegistry({ catalog: config.catalog, modelDirs: config.modelDirs, workersPerModel: config.workersPerModel, host: config.engineHost, batch: config.batch, idleMs: 3_600_000, maxLoaded: 2 });
  const modelId = values.model ?? registry.defaultModel(config.defaultModel);
  try {
    registry.requireRunnable(modelId);
  } catch (err) {
    await registry.stopAll();
    fail((err as Error).message);
  }
  if (!values.raw) {
    try {
      usePunctuationModel(await choosePunctuation(config.punctuationModel, config.catalog, config.modelDirs));
    } catch (err) {
      await registry.stopAll();
      fail((err as Error).message);
    }
  }
  const formatter = new FileFormatter();
  try {
    for (const file of positionals) {
      const show = progressLine(basename(file));
      try {
        const input = await openAudio(file);
        const durationMs = (input.durationS ?? 0) * 1000;
        const t0 = performance.now();
        const r = await transcribeInChunks(registry, modelId, input, {
          vadModel: registry.vadPath('transcribe'),
          maxChunkMs: config.jobs.maxChunkMs,
          onEvent: (e) => e.type === 'chunk_done' && show(durationMs > 0 ? e.frontierMs / durationMs : e.done / Math.max(1, e.found), `chunk ${e.done} of ${e.found}${e.vadFinished ? '' : '+'}`),
        });
        const written = values.raw ? undefined : (await formatter.format(r.segments.map(spokenWords), FORMATTED)).texts;
        writeFileSync(outPath(file), render(format, file, r.modelId, r.audioMs, r.segments, written));
        show.done(`${durations(r.audioMs, performance.now() - t0)} → ${outPath(file)}`);
      } catch (err) {
        failed++;
        show.failed(err instanceof AudioInputError ? err.message : `${file}: ${(err as Error).message}`);
      }
    }
  } finally {
    formatter.close();
    await registry.stopAll();
  }
} else {
  const token = values.token ?? process.env.VOXLOG_TOKEN;
  for (const file of positionals) {
    const show = progressLine(basename(file));
    try {
      const t0 = performance.now();
      const r = await transcribeRemote({ server: values.server.replace(/\/$/, ''), token, file, model: values.model, format, raw: values.raw!, onProgress: show });
      writeFileSync(outPath(file), r.body);
      show.done(`${durations(r.audioMs, performance.now() - t0)} (${(r.processingMs / 1000).toFixed(1)} s on the server) → ${outPath(file)}`);
    } catch (err) {
      if (err instanceof RemoteError && err.fatal) show.failed(err.message), process.exit(3);
      failed++;
      show.failed(`${file}: ${(err as Error).message}`);
    }
  }
}
process.exit(failed > 0 ? 1 : 0);
