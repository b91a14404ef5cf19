// Bun Worker entry: Silero VAD (sherpa-onnx) over a file's audio, cutting it into chunks at
// silences. Kept off the server's thread: it is native code that runs for seconds on a long file.
import { loadSherpa, sileroVad, type SherpaModule, type SherpaResampler, type SherpaVad } from '../../engine/sherpa';
import { VAD_PRIMING_SAMPLES } from '../../engine/offline-decoder';
import { Chunker, type AudioChunk } from './chunker';
import type { FromVad, ToVad } from './protocol';

declare const self: Worker;

const RATE = 16000;
/** Pauses shorter than this do not end speech: chunks are cut only where someone stopped talking. */
const MIN_SILENCE_S = 0.5;
const PAD_SAMPLES = Math.round(0.3 * RATE);
const CLOSE_AFTER_SAMPLES = 2 * RATE;
/**
 * Audio given to the VAD per call: four of Silero's 512-sample windows. sherpa-onnx's Vad settles
 * speech and silence once per call, so bigger pieces make it late or blind: on jfk.wav, 512 found
 * speech at 0.28 s, 2048 at 0.31 s, 4096 at 0.44 s, and 16000 lost the first 2 s of speech. 2048
 * costs a quarter less than 512 (RTF 0.0060 vs 0.0081); the 0.3 s padding covers its lateness.
 */
const VAD_WINDOW = 2048;

let sherpa: SherpaModule | undefined;
let vad: SherpaVad | undefined;
/** Made with the first audio, at its rate: chunks keep the file's own samples (the VAD hears them at 16 kHz). */
let chunker: Chunker | undefined;
let maxChunkS = 0;
let resampler: { rate: number; r: SherpaResampler } | undefined;

const post = (m: FromVad, transfer: Transferable[] = []): void => self.postMessage(m, transfer);

/** The settings the current VAD was made with: a worker reused for the next file with the same ones resets it instead. */
let madeFor = '';

function init(vadModel: string, maxChunkMs: number): void {
  sherpa ??= loadSherpa();
  maxChunkS = maxChunkMs / 1000;
  chunker = undefined;
  resampler = undefined;
  if (vad && madeFor === `${vadModel}|${maxChunkMs}`) {
    vad.reset();
    vad.acceptWaveform(new Float32Array(VAD_PRIMING_SAMPLES));
    return;
  }
  madeFor = `${vadModel}|${maxChunkMs}`;
  vad = sileroVad(sherpa, vadModel, { minSilenceS: MIN_SILENCE_S, minSpeechS: 0.25, maxSpeechS: maxChunkMs / 1000 - 2 * (PAD_SAMPLES / RATE) }, Math.max(60, (maxChunkMs / 1000) * 3));
  // Primed with silence as the offline decoder's is (see VAD_PRIMING_SAMPLES), so speech at 0 s is not clipped.
  vad.acceptWaveform(new Float32Array(VAD_PRIMING_SAMPLES));
}

function chunkerAt(rate: number): Chunker {
  return (chunker ??= new Chunker({ rate, maxSamples: Math.round(maxChunkS * rate), padSamples: Math.round((PAD_SAMPLES * rate) / RATE), closeAfterSamples: Math.round((CLOSE_AFTER_SAMPLES * rate) / RATE) }));
}

/** Speech the VAD has settled on, as chunks (its 16 kHz positions brought to the file's rate). */
function drainSpeech(c: Chunker, rate: number): AudioChunk[] {
  const out: AudioChunk[] = [];
  const at = (n: number) => Math.round((n * rate) / RATE);
  while (!vad!.isEmpty()) {
    const seg = vad!.front();
    const start = Math.max(0, seg.start - VAD_PRIMING_SAMPLES);
    out.push(...c.speech(at(start), Math.min(c.position, at(start + seg.samples.length))));
    vad!.pop();
  }
  return out;
}

/**
 * Feeds the chunker and the VAD a window at a time, and asks the chunker after each window, so
 * where chunks are cut depends on the audio alone (the caller sends it in blocks of a fixed size).
 */
function listen(pcm: Float32Array, rate: number): AudioChunk[] {
  const out: AudioChunk[] = [];
  const c = chunkerAt(rate);
  const step = Math.round((VAD_WINDOW * rate) / RATE);
  for (let at = 0; at < pcm.length; at += step) {
    // A view, not a copy: each message's audio is a fresh array, so the chunker may keep views of it.
    const window = pcm.subarray(at, at + step);
    c.push(window);
    vad!.acceptWaveform(to16k(window, rate, false));
    if (!vad!.isEmpty()) out.push(...drainSpeech(c, rate));
    out.push(...c.silence(vad!.isDetected()));
  }
  return out;
}

function to16k(samples: Float32Array, sampleRate: number, flush: boolean): Float32Array {
  if (sampleRate === RATE) return samples;
  if (!resampler || resampler.rate !== sampleRate) resampler = { rate: sampleRate, r: new sherpa!.LinearResampler(sampleRate, RATE) };
  return resampler.r.resample(samples, flush);
}

function send(chunks: AudioChunk[], done: boolean): void {
  post({ type: 'chunks', chunks, position: chunker?.position ?? 0, done }, chunks.flatMap((c) => [c.samples.buffer as ArrayBuffer, c.context.buffer as ArrayBuffer, c.lookahead.buffer as ArrayBuffer]));
}

function handle(msg: ToVad): void {
  switch (msg.type) {
    case 'init':
      return init(msg.vadModel, msg.maxChunkMs);
    case 'audio':
      return send(listen(msg.samples, msg.sampleRate), false);
    case 'finish': {
      if (resampler) vad!.acceptWaveform(resampler.r.resample(new Float32Array(0), true));
      vad!.flush();
      if (!chunker) return send([], true);
      return send([...drainSpeech(chunker, resampler?.rate ?? RATE), ...chunker.finish()], true);
    }
    case 'exit':
      return process.exit(0);
    default: {
      const never: never = msg;
      throw new Error(`unknown VAD worker message ${JSON.stringify(never)}`);
    }
  }
}

self.onmessage = (e: MessageEvent<ToVad>) => {
  try {
    handle(e.data);
  } catch (err) {
    post({ type: 'error', message: String(err) });
  }
};
