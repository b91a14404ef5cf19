// Every sample heard, nothing invented, the same file gives the same text: a full-speed sender
// against a real-time one, digital silence against dithered silence, the file path against the
// streaming path, repeated runs of compressed files, and what a closed flooder still gets read.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finals, streamAudio } from '../../src/client/stream-client';
import { LIFTED_LIMITS } from '../../src/config';
import { pooled, wordErrorRate, type ErrorRate } from '../../src/scoring/wer';
import { concat, pcm16Wav } from '../../test/helpers/audio';
import type { Item } from './accuracy';
import { round, startServerProcess, type ServerProcess } from '../lib/proc';

export interface FidelityResult {
  readonly pacing: { readonly audio_s: number; readonly full_speed_s: number; readonly real_time_s: number; readonly identical: boolean };
  readonly silence: readonly { readonly set: string; readonly clips: number; readonly wer_digital: number; readonly wer_dithered: number }[];
  readonly file_vs_streaming: readonly { readonly set: string; readonly clips: number; readonly wer_file: number; readonly wer_streaming: number }[];
  readonly determinism: readonly { readonly format: string; readonly runs: number; readonly distinct: number; readonly wer: number }[];
  readonly flooder: { readonly mb_after_close: number; readonly close_to_teardown_ms: number };
}

/** The shipped limits: the pacing figure is about them. */
const DEFAULT_LIMITS = Object.fromEntries(Object.keys(LIFTED_LIMITS).map((k) => [k, '']));

const frameBytes = (it: Pick<Item, 'encoding' | 'sampleRate'>) => Math.round(it.sampleRate / 10) * (it.encoding === 'pcm16' ? 2 : 1);

async function streamed(server: ServerProcess, it: Pick<Item, 'audio' | 'encoding' | 'sampleRate'>, pace?: number): Promise<string> {
  const url = server.wsUrl({ encoding: it.encoding, sample_rate: String(it.sampleRate), interim_ms: '0' });
  const out = await streamAudio({ url, audio: it.audio, frameBytes: frameBytes(it), paceBytesPerSecond: pace });
  return finals(out.messages).map((f) => f.raw_text ?? f.text).join(' '); // the recogniser's words, as the file path gives them
}

/** `POST /v1/listen` (the file path: a high-priority job) with a file's bytes. */
async function listened(server: ServerProcess, body: Uint8Array<ArrayBuffer>, contentType: string): Promise<string> {
  const res = await fetch(`${server.url}/v1/listen`, { method: 'POST', headers: { 'content-type': contentType }, body });
  if (!res.ok) throw new Error(`POST /v1/listen: ${res.status} ${await res.text()}`);
  const out = (await res.json()) as { results: { channels: { alternatives: { transcript: string }[] }[] } };
  return out.results.channels[0]!.alternatives[0]!.transcript;
}

const wav = (it: Item): Uint8Array<ArrayBuffer> => {
  if (it.encoding !== 'pcm16') throw new Error('the file path is measured on the PCM16 files');
  return pcm16Wav(it.audio, it.sampleRate);
};

/** A pseudo-random but fixed sequence, so the dithered figure is the same run to run. */
function noiseTail(samples: number, lsb: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(samples * 2);
  const view = new DataView(out.buffer);
  let s = 7;
  for (let i = 0; i < samples; i++) view.setInt16(i * 2, Math.round(((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1) * lsb), true);
  return out;
}

/** A deaf client flooding 32 KiB frames, closed by one over the frame limit: bytes its socket took after; and for one that reads, the frame that closed it to TCP teardown. */
async function flooder(server: ServerProcess): Promise<FidelityResult['flooder']> {
  const push = async (ws: WebSocket, ms: number) => {
    const frame = new Uint8Array(32 * 1024);
    let sent = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms && ws.readyState === WebSocket.OPEN) {
      if (ws.bufferedAmount < 4 * 1024 * 1024) (ws.send(frame), (sent += frame.length));
      else await Bun.sleep(1);
      if (sent % (1024 * 1024) === 0) await Bun.sleep(0);
    }
    return sent;
  };
  const deaf = new WebSocket(server.wsUrl());
  await new Promise((r) => (deaf.onopen = r));
  (deaf as unknown as { pause(): void }).pause();
  await push(deaf, 1_000);
  deaf.send(new Uint8Array(16 * 1024 * 1024));
  const after = await push(deaf, 3_000);
  (deaf as unknown as { terminate(): void }).terminate();
  // One that reads: from the server's `closed` message to the connection's end.
  const reader = new WebSocket(server.wsUrl());
  await new Promise((r) => (reader.onopen = r));
  let closedAt = 0;
  const gone = new Promise<number>((r) => (reader.onclose = () => r(performance.now())));
  await push(reader, 1_000);
  reader.send(new Uint8Array(16 * 1024 * 1024));
  closedAt = performance.now();
  await push(reader, 10_000);
  const teardown = await gone;
  return { mb_after_close: round(after / 1e6, 1), close_to_teardown_ms: round(teardown - closedAt) };
}

export async function fidelity(o: { sets: Map<string, Item[]>; paceClips: readonly Uint8Array[]; quick: boolean; determinismRuns: number }): Promise<FidelityResult> {
  const server = await startServerProcess(DEFAULT_LIMITS);
  const lifted = await startServerProcess();
  const work = mkdtempSync(join(tmpdir(), 'voxlog-fidelity-'));
  try {
    // A full-speed sender against one at real time (4x in --quick), the same audio, the shipped limits.
    const long = concat(o.paceClips);
    const item = { audio: long, encoding: 'pcm16' as const, sampleRate: 16000 };
    let t = performance.now();
    const full = await streamed(server, item);
    const fullS = (performance.now() - t) / 1000;
    t = performance.now();
    const paced = await streamed(server, item, (o.quick ? 4 : 1) * 32000);
    const pacedS = (performance.now() - t) / 1000;
    const pacing = { audio_s: round(long.length / 32000, 1), full_speed_s: round(fullS, 1), real_time_s: round(pacedS, 1), identical: full === paced };

    const silence: FidelityResult['silence'][number][] = [];
    const fileVsStreaming: FidelityResult['file_vs_streaming'][number][] = [];
    for (const [key, items] of o.sets) {
      if (!key.endsWith('/pcm16')) continue;
      const set = key.split('/')[0]!;
      const digital: ErrorRate[] = [];
      const dithered: ErrorRate[] = [];
      const file: ErrorRate[] = [];
      const live: ErrorRate[] = [];
      for (const it of items) {
        const tailSamples = Math.round(it.sampleRate * 2.5);
        digital.push(wordErrorRate(it.reference, await streamed(lifted, { ...it, audio: concat([it.audio, new Uint8Array(tailSamples * 2)]) })));
        dithered.push(wordErrorRate(it.reference, await streamed(lifted, { ...it, audio: concat([it.audio, noiseTail(tailSamples, 30)]) })));
        live.push(wordErrorRate(it.reference, await streamed(lifted, it)));
        file.push(wordErrorRate(it.reference, await listened(lifted, wav(it), 'audio/wav')));
      }
      silence.push({ set, clips: items.length, wer_digital: round(pooled(digital).rate, 3), wer_dithered: round(pooled(dithered).rate, 3) });
      fileVsStreaming.push({ set, clips: items.length, wer_file: round(pooled(file).rate, 3), wer_streaming: round(pooled(live).rate, 3) });
    }

    // One recording (real speech, about 40 s) in each compressed format, several runs each.
    const speech = [...(o.sets.get('jfk/pcm16') ?? []), ...(o.sets.get('librispeech/pcm16') ?? []).filter((it) => it.sampleRate === 16000)];
    const reference = speech.map((it) => it.reference).join(' ');
    const source = join(work, 'speech.wav');
    writeFileSync(source, pcm16Wav(concat(speech.map((it) => it.audio))));
    const determinism: FidelityResult['determinism'][number][] = [];
    for (const [format, args, type] of [
      ['wav', [], 'audio/wav'],
      ['m4a', ['-c:a', 'aac', '-b:a', '48k'], 'audio/mp4'],
      ['mp3', ['-c:a', 'libmp3lame', '-b:a', '48k'], 'audio/mpeg'],
      ['ogg', ['-c:a', 'libopus', '-b:a', '24k'], 'audio/ogg'],
      ['flac', [], 'audio/flac'],
    ] as const) {
      const path = join(work, `speech.${format}`);
      if (format !== 'wav') {
        const p = Bun.spawn(['ffmpeg', '-nostdin', '-loglevel', 'error', '-y', '-i', source, ...args, path]);
        if ((await p.exited) !== 0) throw new Error(`ffmpeg could not make ${format}`);
      }
      const body = new Uint8Array(readFileSync(format === 'wav' ? source : path));
      const texts: string[] = [];
      for (let i = 0; i < o.determinismRuns; i++) texts.push(await listened(lifted, body, type));
      determinism.push({ format, runs: texts.length, distinct: new Set(texts).size, wer: round(wordErrorRate(reference, texts[0]!).rate, 3) });
    }
    // A budget it never reaches: the flood is read as fast as the engine takes it, so the frame over the limit ends a session still being flooded.
    const unpaced = await startServerProcess({ ...DEFAULT_LIMITS, VOXLOG_MAX_INTAKE_RATE: '100000' });
    const flood = await flooder(unpaced).finally(() => unpaced.stop());
    return { pacing, silence, file_vs_streaming: fileVsStreaming, determinism, flooder: flood };
  } finally {
    rmSync(work, { recursive: true, force: true });
    await Promise.all([server.stop(), lifted.stop()]);
  }
}
