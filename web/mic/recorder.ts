/** The browser microphone as audio frames for /ws/transcribe. */

export interface MicFormat {
  readonly encoding: 'pcm16' | 'float32';
  readonly sampleRate: number;
}

export interface Mic extends MicFormat {
  stop(): Promise<void>;
}

export interface MicHandlers {
  /** One block (100 ms) in the declared encoding, and its peak level from 0 to 1. */
  readonly onAudio: (frame: ArrayBuffer, level: number) => void;
}

/** Why the microphone could not start, in words a person can act on. */
export function micProblem(err: unknown): string {
  const name = (err as { name?: string }).name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'Microphone access was denied. Allow the microphone for this site in the browser (the icon in the address bar), then press Record again.';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No microphone was found. Plug one in, or pick one in the system settings, then press Record again.';
  if (name === 'NotReadableError') return 'The microphone is in use by another program or cannot be read.';
  if (!navigator.mediaDevices) return 'This page cannot use a microphone: browsers allow it only on https:// or on localhost.';
  return `The microphone could not start: ${(err as Error).message ?? String(err)}`;
}

const toPcm16 = (samples: Float32Array): ArrayBuffer => {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i]! * 32768)));
  return out.buffer;
};

const peak = (samples: Float32Array): number => samples.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/** An AudioContext at 16 kHz (the browser resamples, and PCM16 is sent), or at the device's rate (float32 is sent). */
function audioContext(): AudioContext {
  try {
    return new AudioContext({ sampleRate: 16_000 });
  } catch {
    return new AudioContext();
  }
}

/**
 * Opens the microphone and starts handing out frames: PCM16 at 16 kHz where the browser resamples for us,
 * else float32 at the device's own rate (the server resamples either).
 */
// The browser's echo cancelling, noise suppression and gain control reshape speech in ways the recogniser was not
// trained on; it gets the microphone as it is.
export async function startMic(workletUrl: string, h: MicHandlers): Promise<Mic> {
  const media = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  const ctx = audioContext();
  try {
    await ctx.audioWorklet.addModule(workletUrl);
    const source = ctx.createMediaStreamSource(media);
    const node = new AudioWorkletNode(ctx, 'voxlog-mic', { numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1, channelCountMode: 'explicit' });
    const encoding = ctx.sampleRate === 16_000 ? 'pcm16' : 'float32';
    node.port.onmessage = (e: MessageEvent<Float32Array>) => {
      const block = e.data;
      h.onAudio(encoding === 'pcm16' ? toPcm16(block) : (block.buffer as ArrayBuffer), peak(block));
    };
    source.connect(node);
    // The graph is only processed when it reaches the output; the worklet writes nothing, so this plays silence.
    node.connect(ctx.destination);
    await ctx.resume();
    return {
      encoding,
      sampleRate: ctx.sampleRate,
      async stop() {
        node.port.onmessage = null;
        source.disconnect();
        node.disconnect();
        for (const t of media.getTracks()) t.stop();
        await ctx.close();
      },
    };
  } catch (err) {
    for (const t of media.getTracks()) t.stop();
    await ctx.close();
    throw err;
  }
}
