// Decodes a whole recording through the engine pool (off the main thread), as a stream like any
// session's, and hands back its finals: spoken dictation attempts use it, batch jobs can too.
import type { Word } from '../../events/types';
import type { AudioInput } from '../audio/input';
import { UnavailableError } from '../errors';
import { DEFAULT_SETTINGS } from '../server/settings';
import type { EngineRegistry } from './registry';

export interface FileTranscript {
  readonly modelId: string;
  /** The finals joined by spaces; '' when nothing was recognised. */
  readonly text: string;
  readonly segments: readonly { readonly text: string; readonly startMs: number; readonly endMs: number; readonly words: readonly Word[] }[];
  readonly audioMs: number;
}

/** Audio sent to the worker and not yet decoded that makes the reader wait: bounds what one file holds in flight. */
const MAX_BACKLOG_MS = 10_000;

/** Transcribes `input` with `modelId`; rejects with a typed error when the model or its worker fails. */
export async function transcribeFile(registry: EngineRegistry, modelId: string, input: AudioInput): Promise<FileTranscript> {
  const engine = await registry.acquire(modelId);
  const streamId = `file-${crypto.randomUUID()}`;
  const segments: FileTranscript['segments'][number][] = [];
  const closed = new Promise<number>((resolve, reject) => {
    engine.open(streamId, 0, { ...DEFAULT_SETTINGS, interimMs: 0, format: undefined }, (e) => {
      if (e.type === 'final' && e.text.trim() !== '') segments.push({ text: e.text.trim(), startMs: e.startMs, endMs: e.endMs, words: e.words });
      else if (e.type === 'closed') resolve(e.audioMs);
      else if (e.type === 'stream_error' || e.type === 'engine_crashed' || e.type === 'engine_failed') reject(new UnavailableError(`the ${modelId} engine failed on this audio: ${e.message}`, 'engine_failed'));
    });
  });
  closed.catch(() => {}); // awaited below; an engine failure while the file is still being read must not go unhandled
  let seq = 0;
  try {
    for await (const chunk of input.chunks()) {
      engine.feed(streamId, ++seq, chunk, input.sampleRate);
      while (engine.backlogMs(streamId) > MAX_BACKLOG_MS) await Bun.sleep(10);
    }
  } finally {
    // Closed whether the file was read to the end or not: the engine must not keep the stream.
    engine.close(streamId, ++seq);
  }
  const audioMs = await closed;
  return { modelId, text: segments.map((s) => s.text).join(' '), segments, audioMs };
}
