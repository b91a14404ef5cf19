import { wordsFromTokens, type Post, type StreamDecoder } from './decoder';
import { Dither } from './dither';
import type { FinalReason, StreamOptions } from './protocol';
import { sileroVad, type SherpaModule, type SherpaOfflineRecognizer, type SherpaResampler, type SherpaResult, type SherpaVad } from './sherpa';
import { UtteranceWatch } from './utterance';

const RATE = 16000;
/** Silero looks back about this far when it confirms speech; interim decodes start that early. */
const ONSET_LOOKBACK_SAMPLES = Math.round(0.4 * RATE);
/**
 * Shorter input makes onnxruntime throw inside sherpa's decode, which aborts the whole process
 * (no JS catch sees it): short segments are zero-padded to this length first.
 */
const MIN_DECODE_SAMPLES = Math.round(0.5 * RATE);
/**
 * Silence a new VAD is primed with. Fresh, Silero is slow to trust speech that starts at once (the
 * first words of a clip, or speech already under way at a model switch): unprimed, it dropped the
 * first 60-160 ms of such speech; primed with a second of silence it drops none.
 */
export const VAD_PRIMING_SAMPLES = RATE;

/**
 * One client stream on an offline model: Silero VAD cuts speech into segments, each decoded whole
 * when silence reaches `endpointingMs` or it grows to `maxSegmentMs`; interim re-decodes give partials.
 */
export class OfflineVadDecoder implements StreamDecoder {
  private readonly vad: SherpaVad;
  private resampler: SherpaResampler | undefined;
  private inputRate = RATE;
  /** 16 kHz samples fed to the VAD so far. */
  private fed = 0;
  /** Input audio received, in ms at its own rate (the resampler's output count lags by its filter). */
  private inputMs = 0;
  /** Recent 16 kHz audio with the sample index it starts at, for interim decodes. */
  private recent: { start: number; samples: Float32Array }[] = [];
  private speechStart: number | undefined;
  private lastInterimAt = 0;
  private lastPartial = '';
  private readonly utterance: UtteranceWatch;

  constructor(
    private readonly sherpa: SherpaModule,
    private readonly recognizer: SherpaOfflineRecognizer,
    vadModel: string,
    readonly streamId: string,
    private readonly originMs: number,
    private readonly options: StreamOptions,
    private readonly post: Post,
  ) {
    this.vad = sileroVad(sherpa, vadModel, { minSilenceS: options.endpointingMs / 1000, minSpeechS: 0.25, maxSpeechS: options.maxSegmentMs / 1000 }, Math.max(30, (options.maxSegmentMs / 1000) * 2));
    this.vad.acceptWaveform(new Float32Array(VAD_PRIMING_SAMPLES));
    this.utterance = new UtteranceWatch(streamId, options.utteranceEndMs, post);
  }

  get audioMs(): number {
    return this.originMs + this.inputMs;
  }

  /** 16 kHz samples kept for interim decodes (bounded by the open segment plus the onset lookback). */
  get bufferedSamples(): number {
    return this.recent.reduce((n, c) => n + c.samples.length, 0);
  }

  /**
   * Async: segments are decoded with sherpa's async decode, on its thread pool, so the worker stays
   * free for other streams meanwhile (several sessions' segments decode at once). The caller runs
   * one call per stream at a time, in order (EngineCore chains them).
   */
  async accept(seq: number, samples: Float32Array, sampleRate: number): Promise<void> {
    this.inputMs += (samples.length * 1000) / sampleRate;
    const pcm = this.to16k(samples, sampleRate, false);
    this.push(pcm);
    if (this.speechStart === undefined && this.vad.isDetected()) {
      this.speechStart = Math.max(0, this.fed - ONSET_LOOKBACK_SAMPLES);
      this.lastInterimAt = this.fed;
      this.post({ type: 'speech_started', streamId: this.streamId, seq, atMs: this.ms(this.speechStart) });
    }
    // Silero's own max-duration split does not hold (measured: 3.6 s segments at a 2 s limit), so
    // cut by flushing. Only while it hears speech: a flush outside speech corrupts its buffer.
    if (this.speechStart !== undefined && this.vad.isDetected() && this.fed - this.speechStart >= (this.options.maxSegmentMs * RATE) / 1000) {
      this.vad.flush();
      await this.drain(seq, 'max_length');
      this.speechStart = this.fed;
      return;
    }
    const ended = await this.drain(seq, 'endpoint');
    this.utterance.advance(this.audioMs, seq);
    if (ended) return;
    if (this.speechStart !== undefined && this.options.interimMs > 0 && this.fed - this.lastInterimAt >= (this.options.interimMs * RATE) / 1000) {
      this.lastInterimAt = this.fed;
      await this.interim(seq);
    }
  }

  async finalize(seq: number, reason: FinalReason): Promise<void> {
    if (this.resampler) this.push(this.to16k(new Float32Array(0), this.inputRate, true));
    this.vad.flush();
    await this.drain(seq, reason);
    this.speechStart = undefined;
    this.lastPartial = '';
  }

  private push(pcm: Float32Array): void {
    if (pcm.length === 0) return;
    this.vad.acceptWaveform(pcm);
    this.recent.push({ start: this.fed, samples: pcm });
    this.fed += pcm.length;
    // Outside speech only the onset lookback can be needed; without this, silence piles up.
    if (this.speechStart === undefined) this.forgetBefore(this.fed);
  }

  /** Decodes every segment the VAD has closed; returns whether there was one. */
  private async drain(seq: number, reason: FinalReason): Promise<boolean> {
    let any = false;
    while (!this.vad.isEmpty()) {
      const segment = this.vad.front(false);
      this.vad.pop();
      any = true;
      // VAD positions count the priming silence; a segment that reaches back into it starts at 0.
      const start = Math.max(0, segment.start - VAD_PRIMING_SAMPLES);
      const samples = segment.samples.subarray(start - (segment.start - VAD_PRIMING_SAMPLES));
      const result = await this.decode(samples);
      const startMs = this.ms(start);
      const endMs = this.ms(start + samples.length);
      const text = result.text.trim();
      if (text !== '') {
        const words = wordsFromTokens(result, startMs, endMs);
        this.utterance.final(words, endMs);
        this.post({ type: 'final', streamId: this.streamId, seq, text, startMs, endMs, words, reason });
      }
      this.forgetBefore(start + samples.length);
    }
    if (any) {
      this.speechStart = this.vad.isDetected() ? Math.max(0, this.fed - ONSET_LOOKBACK_SAMPLES) : undefined;
      this.lastPartial = '';
    }
    return any;
  }

  private async interim(seq: number): Promise<void> {
    const start = this.speechStart!;
    const audio = this.since(start);
    const text = (await this.decode(audio)).text.trim();
    if (text === '' || text === this.lastPartial) return;
    this.lastPartial = text;
    this.utterance.words();
    this.post({ type: 'partial', streamId: this.streamId, seq, text, startMs: this.ms(start), endMs: this.ms(this.fed) });
  }

  private decode(samples: Float32Array): Promise<Omit<SherpaResult, 'start_time'>> {
    const stream = this.recognizer.createStream();
    if (samples.length < MIN_DECODE_SAMPLES) {
      const padded = new Float32Array(MIN_DECODE_SAMPLES);
      padded.set(samples);
      samples = padded;
    }
    // Dithered as the streaming decoder's audio is (see dither.ts), from the same seed per segment: deterministic.
    stream.acceptWaveform({ samples: new Dither().apply(samples), sampleRate: RATE });
    return this.recognizer.decodeAsync(stream);
  }

  /** Silero needs 16 kHz; other rates go through one resampler per stream (it keeps filter state). */
  private to16k(samples: Float32Array, rate: number, flush: boolean): Float32Array {
    if (rate === RATE && !this.resampler) return samples;
    if (!this.resampler || rate !== this.inputRate) {
      this.resampler = new this.sherpa.LinearResampler(rate, RATE);
      this.inputRate = rate;
    }
    return this.resampler.resample(samples, flush);
  }

  private since(start: number): Float32Array {
    const chunks = this.recent.filter((c) => c.start + c.samples.length > start);
    const out = new Float32Array(this.fed - start);
    for (const c of chunks) {
      const from = Math.max(0, start - c.start);
      out.set(c.samples.subarray(from), c.start + from - start);
    }
    return out;
  }

  /** Drops audio that ends before the onset lookback of `sample` (chunks are in time order). */
  private forgetBefore(sample: number): void {
    const keepFrom = sample - ONSET_LOOKBACK_SAMPLES;
    let drop = 0;
    while (drop < this.recent.length && this.recent[drop]!.start + this.recent[drop]!.samples.length <= keepFrom) drop++;
    if (drop > 0) this.recent.splice(0, drop);
  }


  private ms(sample: number): number {
    return Math.round(this.originMs + (sample * 1000) / RATE);
  }
}
