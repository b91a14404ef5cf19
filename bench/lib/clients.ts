import type { ServerMessage } from '../../src/server/protocol';

export interface RealtimeResult {
  /** Arrival time minus the audio time each partial covers, ms. */
  readonly partialLag: number[];
  /** The same for the first and the second half of the stream, to see a backlog grow. */
  readonly lagFirstHalf: number[];
  readonly lagSecondHalf: number[];
  /** First partial of each segment: arrival minus the end of the audio it covers (the audio that completed its chunk), ms. */
  readonly firstPartialLag: number[];
  /** First partial of each segment: arrival minus the start of its first word (speech onset), ms. */
  readonly firstPartial: number[];
  /** Each final: arrival minus the end of its last word, ms (includes the endpoint rule's silence). */
  readonly endpointToFinal: number[];
  /** Each final's server-side latency_ms (arrival of the closing frame to the result). */
  readonly finalLatency: number[];
  readonly texts: string[];
}

type Final = Extract<ServerMessage, { type: 'final' }>;

/** A client that sends 100 ms frames as a microphone would: each once its audio has been "recorded". */
export function realtimeClient(url: string, audio: Uint8Array<ArrayBuffer>, frameMs = 100): Promise<RealtimeResult> {
  const frameBytes = 32 * frameMs;
  const durationMs = audio.length / 32;
  const r: RealtimeResult = { partialLag: [], lagFirstHalf: [], lagSecondHalf: [], firstPartialLag: [], firstPartial: [], endpointToFinal: [], finalLatency: [], texts: [] };
  const firstPartialAt = new Map<number, number>();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let t0 = 0;
    ws.onerror = () => reject(new Error(`socket error on ${url}`));
    ws.onclose = () => resolve(r);
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as ServerMessage;
      const now = performance.now() - t0;
      if (m.type === 'partial') {
        const lag = now - m.end_ms;
        r.partialLag.push(lag);
        (m.end_ms < durationMs / 2 ? r.lagFirstHalf : r.lagSecondHalf).push(lag);
        if (!firstPartialAt.has(m.segment)) firstPartialAt.set(m.segment, now), r.firstPartialLag.push(lag);
      }
      if (m.type === 'final') {
        const f = m as Final;
        r.texts.push(f.text);
        r.finalLatency.push(f.latency_ms);
        const first = f.words[0];
        const last = f.words.at(-1);
        const seen = firstPartialAt.get(f.segment);
        if (first && seen !== undefined) r.firstPartial.push(seen - first.start_ms);
        if (last && f.end_ms < durationMs) r.endpointToFinal.push(now - last.end_ms);
      }
    };
    ws.onopen = async () => {
      t0 = performance.now();
      for (let i = 0; i * frameBytes < audio.length; i++) {
        const wait = t0 + (i + 1) * frameMs - performance.now();
        if (wait > 0) await Bun.sleep(wait);
        ws.send(audio.subarray(i * frameBytes, (i + 1) * frameBytes));
      }
      ws.send(JSON.stringify({ type: 'close' }));
    };
  });
}
