import { wordsFromTokens, type Post, type StreamDecoder } from './decoder';
import { Dither } from './dither';
import type { FinalReason } from './protocol';
import type { SherpaOnlineRecognizer, SherpaOnlineStream, SherpaResult } from './sherpa';

/** Silence appended before `inputFinished` so sherpa decodes the last incomplete chunk. */
const TAIL_PADDING_S = 0.5;

/** One client stream on a streaming (OnlineRecognizer) model: partials every chunk, finals at endpoints. */
export class StreamingDecoder implements StreamDecoder {
  /**
   * The sherpa stream, made when audio first comes (and again after each flush): its native state
   * (about 0.7 MB on the default model) is not spent on a client that connects and sends nothing.
   */
  private current: SherpaOnlineStream | undefined;
  /** Session audio time (ms) at which the current sherpa stream started. */
  private originMs: number;
  private fedMs = 0;
  private lastText = '';
  /** A chunk was decoded since the last `emit`. */
  private decoded = false;
  /** sherpa aborts the process if one stream's rate changes, so padding uses the rate the audio came at. */
  private sampleRate = 16000;
  /** Every sample the model hears is dithered: digital silence (and the tail padding) gives no words. */
  private readonly dither = new Dither();

  constructor(
    private readonly recognizer: SherpaOnlineRecognizer,
    readonly streamId: string,
    originMs: number,
    private readonly post: Post,
  ) {
    this.originMs = originMs;
  }

  private get stream(): SherpaOnlineStream {
    return (this.current ??= this.recognizer.createStream());
  }

  /** Session audio time (ms) fed so far. */
  get audioMs(): number {
    return this.originMs + this.fedMs;
  }

  accept(seq: number, samples: Float32Array, sampleRate: number): void {
    this.feed(samples, sampleRate);
    while (this.ready) this.recognizer.decode(this.stream), (this.decoded = true);
    this.emit(seq);
  }

  /** The sherpa stream, for decoding several streams in one call (see StreamBatcher); call `decodedElsewhere` after. */
  get sherpaStream(): SherpaOnlineStream {
    return this.stream;
  }

  /** A batch call decoded this stream's chunk. */
  decodedElsewhere(): void {
    this.decoded = true;
  }

  /** Whether a whole model chunk waits to be decoded. */
  get ready(): boolean {
    return this.current !== undefined && this.recognizer.isReady(this.current);
  }

  /** Adds audio without decoding it: `accept` split in two so a batcher can decode between. */
  feed(samples: Float32Array, sampleRate: number): void {
    this.sampleRate = sampleRate;
    this.stream.acceptWaveform({ samples: this.dither.apply(samples), sampleRate });
    this.fedMs += (samples.length * 1000) / sampleRate;
  }

  /**
   * After decoding what `feed` gave: a final at an endpoint, else a partial if the text changed.
   * Nothing can have changed unless a chunk was decoded since the last call (most 100 ms frames
   * complete no 320 ms chunk): then the result is not fetched at all.
   */
  emit(seq: number): void {
    if (!this.decoded) return;
    this.decoded = false;
    const result = this.recognizer.getResult(this.stream);
    const text = result.text.trim();
    if (this.recognizer.isEndpoint(this.stream)) {
      this.recognizer.reset(this.stream);
      // The segment ends where decoding stopped, which is where the next one starts; audio fed past
      // it (less than a chunk) belongs to the next segment, so adjacent segments never overlap.
      const decodedMs = this.segmentStartMs(this.recognizer.getResult(this.stream));
      if (text !== '') this.postFinal(seq, result, 'endpoint', decodedMs);
      this.lastText = '';
    } else if (text !== this.lastText) {
      if (this.lastText === '') this.post({ type: 'speech_started', streamId: this.streamId, seq, atMs: this.segmentStartMs(result) });
      this.lastText = text;
      const startMs = this.segmentStartMs(result);
      this.post({ type: 'partial', streamId: this.streamId, seq, text, startMs, endMs: Math.max(startMs, Math.round(this.audioMs)) });
    }
  }

  /** Flushes the open segment as a final (padding the tail); the next audio starts a fresh sherpa stream. */
  finalize(seq: number, reason: FinalReason): void {
    const old = this.current;
    // No audio since the last flush: nothing to decode, and no stream to make for it.
    if (!old) return;
    old.acceptWaveform({ samples: this.dither.silence(Math.round(this.sampleRate * TAIL_PADDING_S)), sampleRate: this.sampleRate });
    old.inputFinished();
    while (this.recognizer.isReady(old)) this.recognizer.decode(old);
    const result = this.recognizer.getResult(old);
    if (result.text.trim() !== '') this.postFinal(seq, result, reason);
    // A fresh stream keeps the padding out of the session's timeline.
    this.originMs = this.audioMs;
    this.fedMs = 0;
    this.lastText = '';
    this.decoded = false;
    this.current = undefined;
  }

  private segmentStartMs(result: SherpaResult): number {
    return Math.round(this.originMs + result.start_time * 1000);
  }

  private postFinal(seq: number, result: SherpaResult, reason: FinalReason, endAtMs = this.audioMs): void {
    const startMs = this.segmentStartMs(result);
    const endMs = Math.max(startMs, Math.round(endAtMs));
    const words = wordsFromTokens(result, startMs, endMs);
    this.post({ type: 'final', streamId: this.streamId, seq, text: result.text.trim(), startMs, endMs, words, reason });
  }
}
