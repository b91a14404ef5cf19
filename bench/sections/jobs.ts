// Section 9: batch jobs. Each figure beside its baseline from the same run: a long file through the
// job path (VAD chunks across both workers) vs one thread decoding it directly; many short files as
// jobs vs decoded one after another directly; a live session's latency with and without a job
// running; the server's memory while a large upload streams to disk vs the idle server.
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamAudio } from '../../src/client/stream-client';
import { wordErrorRate } from '../../src/scoring/wer';
import { pcm16Wav } from '../../test/helpers/audio';
import { jsonClient } from '../../test/helpers/http';
import { longRecording } from '../../test/helpers/long-recording';
import { decodeDirectly } from '../lib/direct';
import { rssMb, startServerProcess, type ServerProcess } from '../lib/proc';

const MODEL = 'gigaspeech-zipformer-3.3M-en';

export interface JobsResult {
  readonly long_file: { audio_s: number; chunks: number; job_rtf: number; wall_rtf: number; direct_rtf: number; ratio: number; job_wer: number; direct_wer: number };
  readonly short_files: { files: number; audio_s: number; concurrency: number; jobs_per_min: number; direct_files_per_min: number };
  readonly live_during_job: { clip_s: number; idle_final_latency_ms: number; busy_final_latency_ms: number };
  readonly upload: { bytes: number; seconds: number; idle_rss_mb: number; peak_rss_mb: number };
}

type Call = ReturnType<typeof jsonClient>;

async function submit(call: Call, wav: Uint8Array<ArrayBuffer> | Blob, name: string): Promise<string> {
  const form = new FormData();
  form.append('file', wav instanceof Blob ? wav : new Blob([wav]), name);
  // The recogniser's words, compared with a direct decode (writing them as text is section 16's).
  form.append('format', 'false');
  const r = await call('POST', '/api/v1/jobs', form);
  if (r.status !== 202) throw new Error(`job refused: ${JSON.stringify(r.body)}`);
  return r.body.id;
}

async function finished(call: Call, id: string): Promise<{ status: string; text: string; processing_ms: number; audio_ms: number; chunks_found: number }> {
  for (;;) {
    const job = (await call('GET', `/api/v1/jobs/${id}`)).body;
    if (['completed', 'failed', 'cancelled'].includes(job.status)) return job;
    await Bun.sleep(50);
  }
}

/** A WAV header declaring `dataBytes` of 16 kHz mono PCM16, then that many zero bytes, written a MiB at a time. */
function writeSilentWav(path: string, dataBytes: number): void {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16000, 24);
  header.writeUInt32LE(32000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(dataBytes, 40);
  const fd = openSync(path, 'w');
  writeSync(fd, header);
  const mib = Buffer.alloc(1024 * 1024);
  for (let left = dataBytes; left > 0; left -= mib.length) writeSync(fd, mib, 0, Math.min(mib.length, left));
  closeSync(fd);
}

/** Mean latency of a live session's finals, streaming `pcm` at real time. */
async function liveLatency(server: ServerProcess, pcm: Uint8Array): Promise<number> {
  const out = await streamAudio({ url: server.wsUrl({ model: MODEL }), audio: pcm, frameBytes: 3200, intervalMs: 100 });
  const finals = out.messages.filter((m) => m.type === 'final') as { latency_ms: number }[];
  return finals.reduce((n, m) => n + m.latency_ms, 0) / Math.max(1, finals.length);
}

export async function jobs(o: { rounds: number; shortClips: Uint8Array<ArrayBuffer>[]; liveSeconds: number; uploadBytes: number }): Promise<JobsResult> {
  const server = await startServerProcess({ VOXLOG_DEFAULT_MODEL: '' });
  const call = jsonClient(server.url);
  const recording = longRecording(o.rounds);
  const pcm = recording.wav.subarray(44);
  try {
    // Load the model before anything is timed.
    await finished(call, await submit(call, pcm16Wav(pcm.subarray(0, 32000 * 12)), 'warm.wav'));

    const t0 = performance.now();
    const long = await finished(call, await submit(call, recording.wav, 'long.wav'));
    const wallMs = performance.now() - t0;
    const direct = await decodeDirectly(MODEL, [pcm]);
    const directRtf = direct.ms / 1000 / recording.seconds;
    const jobRtf = long.processing_ms / long.audio_ms;

    const shortAudioS = o.shortClips.reduce((n, c) => n + (c.length - 44) / 32000, 0);
    const t1 = performance.now();
    const ids = await Promise.all(o.shortClips.map((c, i) => submit(call, c, `short-${i}.wav`)));
    await Promise.all(ids.map((id) => finished(call, id)));
    const shortS = (performance.now() - t1) / 1000;
    const directShort = await decodeDirectly(MODEL, o.shortClips.map((c) => c.subarray(44)));
    const concurrency = (await call('GET', '/api/v1/admin/concurrency')).body.max_concurrent_jobs;

    const clip = pcm.subarray(0, Math.round(o.liveSeconds * 32000));
    const idle = await liveLatency(server, clip);
    const busyJob = await submit(call, recording.wav, 'busy.wav');
    const busy = await liveLatency(server, clip);
    await finished(call, busyJob);

    // Paused, so the upload is only received and probed, never transcribed.
    await call('PUT', '/api/v1/admin/concurrency', { max_concurrent_jobs: 0 });
    const path = join(tmpdir(), `voxlog-bench-upload-${process.pid}.wav`);
    writeSilentWav(path, o.uploadBytes);
    const idleRss = rssMb(server.pid);
    let peak = idleRss;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(server.pid))), 20);
    const t2 = performance.now();
    const uploaded = await submit(call, Bun.file(path), 'large.wav');
    const uploadS = (performance.now() - t2) / 1000;
    clearInterval(sampler);
    rmSync(path, { force: true });
    await call('DELETE', `/api/v1/jobs/${uploaded}`);

    return {
      long_file: {
        audio_s: recording.seconds,
        chunks: long.chunks_found,
        job_rtf: jobRtf,
        wall_rtf: wallMs / 1000 / recording.seconds,
        direct_rtf: directRtf,
        ratio: jobRtf / directRtf,
        job_wer: wordErrorRate(recording.reference, long.text).rate,
        direct_wer: wordErrorRate(recording.reference, direct.texts[0]!.join(' ')).rate,
      },
      short_files: { files: o.shortClips.length, audio_s: shortAudioS, concurrency, jobs_per_min: (o.shortClips.length / shortS) * 60, direct_files_per_min: (o.shortClips.length / (directShort.ms / 1000)) * 60 },
      live_during_job: { clip_s: o.liveSeconds, idle_final_latency_ms: idle, busy_final_latency_ms: busy },
      upload: { bytes: o.uploadBytes, seconds: uploadS, idle_rss_mb: idleRss, peak_rss_mb: peak },
    };
  } finally {
    await server.stop();
  }
}
