// Section 10: the web app. Each figure beside its baseline from the same run: the bundle (raw vs what is
// sent gzipped); the first request for it (bundled then) vs a later one (kept); the live page loaded on a
// fresh server vs again; and the browser path (fake microphone → AudioWorklet → PCM16 → WebSocket) vs the
// native client streaming the same padded clip at real time: WER and the server's final latency.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamAudio } from '../../src/client/stream-client';
import { wordErrorRate } from '../../src/scoring/wer';
import { bundleUi } from '../../src/ui/bundle';
import { concat, loadClip, silence } from '../../test/helpers/audio';
import { chromiumPath, launchBrowser, microphoneFile, recordOnLivePage } from '../../test/helpers/browser';
import { startServerProcess, type ServerProcess } from '../lib/proc';

export type WebResult =
  | { readonly skipped: string }
  | {
      readonly bundle: { files: { name: string; bytes: number; gzip_bytes: number }[]; bytes: number; gzip_bytes: number; build_ms: number };
      readonly first_request: { bundling_ms: number; cached_ms: number };
      readonly page_load: { cold_ms: number; warm_ms: number };
      readonly live: { clips: number; words: number; page_wer: number; native_wer: number; page_final_latency_ms: number; native_final_latency_ms: number };
    };

const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const out = await f();
  return [out, performance.now() - t0];
};

interface Segment {
  readonly content: string;
  readonly latency_ms: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function sessionSegments(server: ServerProcess, id: string): Promise<Segment[]> {
  return ((await (await fetch(`${server.url}/api/v1/sessions/${id}`)).json()) as { segments: Segment[] }).segments;
}

export async function web(o: { clips: readonly string[] }): Promise<WebResult> {
  try {
    chromiumPath();
  } catch (err) {
    return { skipped: (err as Error).message };
  }
  const [assets, build_ms] = await timed(bundleUi);
  const files = assets.map((a) => ({ name: a.name, bytes: a.body.length, gzip_bytes: Bun.gzipSync(a.body).length }));
  const server = await startServerProcess({ VOXLOG_DEFAULT_MODEL: '' });
  const scratch = mkdtempSync(join(tmpdir(), 'voxlog-bench-web-'));
  try {
    const [, bundling_ms] = await timed(() => fetch(`${server.url}/ui/main.js`).then((r) => r.arrayBuffer()));
    const [, cached_ms] = await timed(() => fetch(`${server.url}/ui/main.js`).then((r) => r.arrayBuffer()));
    const refs: string[] = [];
    const pageText: string[] = [];
    const nativeText: string[] = [];
    const pageLatency: number[] = [];
    const nativeLatency: number[] = [];
    let cold_ms = NaN;
    let warm_ms = NaN;
    for (const [i, file] of o.clips.entries()) {
      const clip = loadClip('librispeech', file);
      const browser = await launchBrowser(await microphoneFile(scratch, clip.pcm16));
      try {
        const load = async () => {
          const page = await (await browser.newContext()).newPage();
          const [, ms] = await timed(async () => {
            await page.goto(`${server.url}/live`);
            await page.getByRole('button', { name: 'Record' }).and(page.locator(':enabled')).waitFor();
          });
          return [page, ms] as const;
        };
        if (i === 0) [, cold_ms] = await load();
        const [page, ms] = await load();
        if (i === 0) warm_ms = ms;
        const rec = await recordOnLivePage(page, clip.reference, (clip.pcm16.length / 32_000) * 1000);
        refs.push(clip.reference);
        pageText.push(rec.text);
        pageLatency.push(...(await sessionSegments(server, rec.sessionId)).map((s) => s.latency_ms));
      } finally {
        await browser.close();
      }
      // The same padded audio from the native client, paced at real time in 100 ms frames.
      const padded = concat([silence(1), clip.pcm16, silence(4)]);
      const out = await streamAudio({ url: `${server.url.replace('http', 'ws')}/ws/transcribe`, audio: padded, frameBytes: 3200, intervalMs: 100 });
      // Counted as on the page: finals that start within the speech (the model hears AND in long digital silence).
      const speechEndMs = 1000 + (clip.pcm16.length / 32_000) * 1000;
      const finals = out.messages.flatMap((m) => (m.type === 'final' && m.start_ms < speechEndMs ? [m] : []));
      nativeText.push(finals.map((m) => m.text).join(' '));
      nativeLatency.push(...finals.map((m) => m.latency_ms));
    }
    const wer = (hyps: string[]) => wordErrorRate(refs.join(' '), hyps.join(' ')).rate;
    return {
      bundle: { files, bytes: files.reduce((n, f) => n + f.bytes, 0), gzip_bytes: files.reduce((n, f) => n + f.gzip_bytes, 0), build_ms },
      first_request: { bundling_ms, cached_ms },
      page_load: { cold_ms, warm_ms },
      live: {
        clips: o.clips.length,
        words: refs.join(' ').split(' ').length,
        page_wer: wer(pageText),
        native_wer: wer(nativeText),
        page_final_latency_ms: mean(pageLatency),
        native_final_latency_ms: mean(nativeLatency),
      },
    };
  } finally {
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
