import { finals, streamAudio } from '../../src/client/stream-client';
import { decodeDirectly } from '../lib/direct';
import { startServerProcess } from '../lib/proc';

export interface OverheadResult {
  readonly clips: number;
  readonly audio_s: number;
  readonly direct_rtf: number;
  readonly server_rtf: number;
  readonly ratio: number;
  readonly transcripts_identical: boolean;
  readonly differences: { clip: number; direct: string; server: string }[];
}

const FRAME_BYTES = 3200;

/** Real-time factor of the same audio decoded directly (in a Worker) and through the server. */
export async function overhead(modelId: string, clips: Uint8Array<ArrayBuffer>[], env: Record<string, string> = {}): Promise<OverheadResult> {
  const audioS = clips.reduce((n, c) => n + c.length, 0) / 32000;
  const direct = await decodeDirectly(modelId, clips, FRAME_BYTES);

  const server = await startServerProcess({ VOXLOG_WORKERS_PER_MODEL: '1', ...env });
  try {
    await streamAudio({ url: server.wsUrl({ model: modelId }), audio: clips[0]!, frameBytes: FRAME_BYTES }); // load the model
    const t0 = performance.now();
    const texts: string[][] = [];
    for (const clip of clips) {
      const out = await streamAudio({ url: server.wsUrl({ model: modelId }), audio: clip, frameBytes: FRAME_BYTES });
      texts.push(finals(out.messages).map((f) => f.text));
    }
    const serverMs = performance.now() - t0;
    const differences = texts.flatMap((t, i) => (t.join(' ') === direct.texts[i]!.join(' ') ? [] : [{ clip: i, direct: direct.texts[i]!.join(' '), server: t.join(' ') }]));
    const directRtf = direct.ms / 1000 / audioS;
    const serverRtf = serverMs / 1000 / audioS;
    return { clips: clips.length, audio_s: audioS, direct_rtf: directRtf, server_rtf: serverRtf, ratio: serverRtf / directRtf, transcripts_identical: differences.length === 0, differences };
  } finally {
    await server.stop();
  }
}
