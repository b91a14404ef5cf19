import { finals, streamAudio } from '../../src/client/stream-client';
import { decodeDirectly } from '../lib/direct';
import { pct, startServerProcess } from '../lib/proc';

export interface OverheadResult {
  readonly clips: number;
  readonly audio_s: number;
  /** Alternating rounds of direct and server decoding; the RTFs are their medians. */
  readonly rounds: number;
  readonly direct_rtf: number;
  readonly server_rtf: number;
  readonly ratio: number;
  readonly transcripts_identical: boolean;
  readonly differences: { clip: number; direct: string; server: string }[];
}

const FRAME_BYTES = 3200;

/**
 * Real-time factor of the same audio decoded directly (in a Worker) and through the server, in
 * `rounds` alternating rounds (direct, server, direct, ...) whose medians are reported: single runs
 * of either moved by up to 15 % between runs on the same machine, more than the difference measured.
 */
export async function overhead(modelId: string, clips: Uint8Array<ArrayBuffer>[], env: Record<string, string> = {}, rounds = 1): Promise<OverheadResult> {
  const audioS = clips.reduce((n, c) => n + c.length, 0) / 32000;
  const server = await startServerProcess({ VOXLOG_WORKERS_PER_MODEL: '1', ...env });
  try {
    await streamAudio({ url: server.wsUrl({ model: modelId }), audio: clips[0]!, frameBytes: FRAME_BYTES }); // load the model
    const directMs: number[] = [];
    const serverMs: number[] = [];
    let directTexts: string[][] = [];
    const texts: string[][] = [];
    for (let r = 0; r < rounds; r++) {
      const direct = await decodeDirectly(modelId, clips, FRAME_BYTES);
      directMs.push(direct.ms);
      directTexts = direct.texts;
      const t0 = performance.now();
      texts.length = 0;
      for (const clip of clips) {
        const out = await streamAudio({ url: server.wsUrl({ model: modelId }), audio: clip, frameBytes: FRAME_BYTES });
        texts.push(finals(out.messages).map((f) => f.raw_text ?? f.text)); // the recogniser's words, as the direct decode gives them
      }
      serverMs.push(performance.now() - t0);
    }
    const differences = texts.flatMap((t, i) => (t.join(' ') === directTexts[i]!.join(' ') ? [] : [{ clip: i, direct: directTexts[i]!.join(' '), server: t.join(' ') }]));
    const directRtf = pct(directMs, 50) / 1000 / audioS;
    const serverRtf = pct(serverMs, 50) / 1000 / audioS;
    return { clips: clips.length, audio_s: audioS, rounds, direct_rtf: directRtf, server_rtf: serverRtf, ratio: serverRtf / directRtf, transcripts_identical: differences.length === 0, differences };
  } finally {
    await server.stop();
  }
}
