// Section 8: the dictation trainer. Each figure beside its baseline from the same run: voices through
// the server's queue vs the same binaries run directly; typed scoring over HTTP vs the scoring
// function in-process; spoken attempts vs a direct sherpa-onnx decode of the same clips.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav } from '../../src/audio/wav';
import { scoreAttempt } from '../../src/scoring/score';
import { pooled, type ErrorRate } from '../../src/scoring/wer';
import { jsonClient } from '../../test/helpers/http';
import { decodeDirectly } from '../lib/direct';
import { pct, startServerProcess } from '../lib/proc';

export interface DictationResult {
  /** Items whose audio a voice made, per second: through the server (queue of 2) vs its binary run directly, 2 at a time. */
  readonly tts: { voice: string; items: number; server_items_per_s: number; direct_items_per_s: number; audio_s_per_item: number }[];
  readonly typed_scoring_ms: { http_p50: number; http_p95: number; function_p50: number; function_p95: number; attempts: number };
  readonly spoken: { clips: number; audio_s: number; server_rtf: number; direct_rtf: number; wer: number };
  /** The real model hearing each voice speak held-out sentences: pooled WER per voice. */
  readonly voice_wer: { voice: string; sentences: number; words: number; wer: number }[];
}

const VOICES = ['flite:slt', 'flite:kal16', 'flite:rms', 'flite:awb', 'espeak-ng:en-us'];
/** The baseline: the provider's binary run directly on the same text, with the same voice. */
const DIRECT: Record<string, (voice: string, text: string, out: string) => string[]> = {
  flite: (voice, text, out) => ['flite', '-voice', voice, '-t', text, '-o', out],
  'espeak-ng': (voice, text, out) => ['espeak-ng', '-v', voice, '-w', out, text],
};

/** Runs `jobs` two at a time (the server's default TTS concurrency); returns seconds taken. */
async function twoAtATime(jobs: (() => Promise<unknown>)[]): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all([0, 1].map(async () => {
    while (next < jobs.length) await jobs[next++]!();
  }));
  return (performance.now() - t0) / 1000;
}

export async function dictation(o: { sentences: string[]; clips: { path: string; reference: string }[]; typedAttempts: number }): Promise<DictationResult> {
  const server = await startServerProcess({ VOXLOG_WORKERS_PER_MODEL: '1', VOXLOG_DEFAULT_MODEL: '' });
  const call = jsonClient(server.url);
  const scratch = mkdtempSync(join(tmpdir(), 'voxlog-bench-tts-'));
  try {
    const tts: DictationResult['tts'] = [];
    const voiceWer: DictationResult['voice_wer'] = [];
    for (const voice of VOICES) {
      const [provider, name] = voice.split(':') as [string, string];
      // The voice is part of the audio's key, so no voice is served another's files.
      const texts = o.sentences;
      const t0 = performance.now();
      const ids: string[] = [];
      for (const text of texts) ids.push((await call('POST', '/api/v1/items', { locale: 'en-US', text, voice })).body.id);
      const statuses = await waitReady(call, ids);
      const serverS = (performance.now() - t0) / 1000;
      const directS = await twoAtATime(
        texts.map((text, i) => async () => {
          await Bun.spawn(DIRECT[provider]!(name, text, join(scratch, `${i}.wav`)), { stdout: 'ignore', stderr: 'ignore' }).exited;
        }),
      );
      tts.push({ voice, items: ids.length, server_items_per_s: ids.length / serverS, direct_items_per_s: ids.length / directS, audio_s_per_item: statuses.reduce((n, s) => n + s.duration_ms, 0) / 1000 / ids.length });
      // The voice's own speech as a spoken attempt at its own item.
      const rates: ErrorRate[] = [];
      for (const id of ids) {
        const wav = await (await fetch(`${server.url}/api/v1/items/${id}/audio`)).arrayBuffer();
        const form = new FormData();
        form.set('item_id', id);
        form.set('file', new Blob([wav]), 'item.wav');
        const a = (await call('POST', '/api/v1/attempts', form)).body;
        rates.push({ errors: a.substitutions + a.deletions + a.insertions, reference: a.reference_words, rate: a.wer });
      }
      const p = pooled(rates);
      voiceWer.push({ voice, sentences: ids.length, words: p.reference, wer: p.rate });
    }

    // Typed scoring: one item, many attempts with a word or two wrong.
    const item = (await call('POST', '/api/v1/items', { locale: 'en-US', text: o.sentences[0]! })).body;
    const typo = (i: number) => o.sentences[0]!.replace(/\b\w+\b/, i % 2 ? 'wrong' : 'also wrong');
    const http: number[] = [];
    for (let i = 0; i < o.typedAttempts; i++) {
      const t0 = performance.now();
      const r = await call('POST', '/api/v1/attempts', { item_id: item.id, text: typo(i) });
      if (r.status !== 201) throw new Error(`typed attempt answered ${r.status}`);
      http.push(performance.now() - t0);
    }
    const fn: number[] = [];
    for (let i = 0; i < o.typedAttempts; i++) {
      const t0 = performance.now();
      scoreAttempt(o.sentences[0]!, typo(i), { locale: 'en-US', foldAccents: false });
      fn.push(performance.now() - t0);
    }

    // Spoken attempts of real recordings vs a direct decode of the same clips.
    const clipBytes = await Promise.all(o.clips.map(async (c) => new Uint8Array(await Bun.file(c.path).arrayBuffer())));
    const pcm = clipBytes.map((b) => parseWav(b).data);
    const audioS = pcm.reduce((n, c) => n + c.length / 32000, 0);
    const direct = await decodeDirectly('gigaspeech-zipformer-3.3M-en', pcm);
    const spokenRates: ErrorRate[] = [];
    let spokenMs = 0;
    for (const [i, c] of o.clips.entries()) {
      const it = (await call('POST', '/api/v1/items', { locale: 'en-US', text: c.reference })).body;
      const form = new FormData();
      form.set('item_id', it.id);
      form.set('file', new Blob([clipBytes[i]!]), 'clip.wav');
      const t0 = performance.now();
      const a = (await call('POST', '/api/v1/attempts', form)).body;
      spokenMs += performance.now() - t0;
      spokenRates.push({ errors: a.substitutions + a.deletions + a.insertions, reference: a.reference_words, rate: a.wer });
    }
    return {
      tts,
      typed_scoring_ms: { http_p50: pct(http, 50), http_p95: pct(http, 95), function_p50: pct(fn, 50), function_p95: pct(fn, 95), attempts: o.typedAttempts },
      spoken: { clips: o.clips.length, audio_s: audioS, server_rtf: spokenMs / 1000 / audioS, direct_rtf: direct.ms / 1000 / audioS, wer: pooled(spokenRates).rate },
      voice_wer: voiceWer,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await server.stop();
  }
}

async function waitReady(call: ReturnType<typeof jsonClient>, ids: string[]): Promise<{ duration_ms: number }[]> {
  for (;;) {
    const listed = (await call('GET', '/api/v1/items?limit=500')).body.items as { id: string; audio: { status: string; duration_ms: number; error: string } }[];
    const statuses = ids.map((id) => listed.find((i) => i.id === id)!.audio);
    const failed = statuses.find((s) => s.status === 'failed');
    if (failed) throw new Error(`speech generation failed: ${failed.error}`);
    if (statuses.every((s) => s.status === 'ready')) return statuses;
    await Bun.sleep(20);
  }
}
