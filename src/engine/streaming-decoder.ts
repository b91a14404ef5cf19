import { wordsFromTokens, type Post, type StreamDecoder } from './decoder';
import { Dither } from './dither';
import type { FinalReason, StreamOptions } from './protocol';
import type { SherpaOnlineRecognizer, SherpaOnlineStream, SherpaResult } from './sherpa';
import { UtteranceWatch } from './utterance';
import { VoiceGate, type VoiceEvent, type VoiceSettings } from './voice';

/** Silence that ends a segment's audio so sherpa decodes its last, incomplete chunk (then resets, or finishes the stream). */
const TAIL_PADDING_S = 0.5;
/**
 * Audio kept from before speech is detected and decoded with it. The detector confirms speech about
 * 100 ms after it starts (two 32 ms windows above threshold, once Silero's probability has risen);
 * the rest is margin for quiet onsets.
 */
const PREROLL_MS = 400;
/**
 * The model's chunk (320 ms on the streaming zipformers voxlog ships). A segment's first sample is
 * put on the same chunk grid as the session's audio (taking up to one chunk more pre-roll): the
 * model then cuts the speech into the same chunks as it would without skipping any silence. Off
 * the grid, each new segment's words came out differently from an uncut decode (more errors).
 */
const CHUNK_MS = 320;
/** What an idle stream keeps: the pre-roll, and up to a chunk more to reach the grid. */
const KEEP_MS = PREROLL_MS + CHUNK_MS;
/**
 * Voice-activity silence after which audio is held back from the model while the endpoint is
 * awaited. The segment keeps this much audio after the speech (the decaying end of the last word);
 * what is held is decoded only if speech resumes before `endpointingMs`.
 */
const PAUSE_MS = 100;
/** A segment of continuous speech longer than this ends at its next pause. */
const SOFT_MAX_SEGMENT_MS = 15_000;
/** ... and is cut where it stands if no pause came by then (read speech paused every few seconds in every set measured). */
const HARD_MAX_SEGMENT_MS = 30_000;
/** How long before its confirmation speech is taken to have started (for `speech_started`): three windows. */
const ONSET_LAG_MS = 96;

/** Where a stream with a voice-activity detector is: no speech, speech, or a pause that may end the segment. */
type Phase = 'idle' | 'speaking' | 'pausing';

/**
 * One client stream on a streaming (OnlineRecognizer) model: partials every chunk, a final when
 * speech stops. With a voice-activity detector (the default) only speech is decoded (with pre-roll),
 * and a segment ends `endpointingMs` after the speech stops: its tail is flushed at once with padding,
 * and the same sherpa stream goes on (reset), so the next segment keeps the model's context. Without
 * one, every sample is decoded and segments end by the model's endpoint rule.
 */
export class StreamingDecoder implements StreamDecoder {
  /** The sherpa stream; made when audio first comes to the model (and again after a close-style flush). */
  private current: SherpaOnlineStream | undefined;
  /** Samples the sherpa stream has been fed in all, padding included: its own timeline. */
  private streamTotal = 0;
  /** Input samples taken in so far (decoded, held back, or passed over as silence). */
  private routed = 0;
  /** A segment has had audio since the last final. */
  private segOpen = false;
  /** The open segment's first sample: its input position, and where it sits in the stream's timeline. */
  private segStart = 0;
  private segStreamAt = 0;
  /** Input samples the open segment has had. */
  private segFed = 0;
  private lastText = '';
  /** A chunk was decoded since the last `emit`. */
  private decoded = false;
  /** sherpa aborts the process if one stream's rate changes, so padding uses the rate the audio came at. */
  private sampleRate = 16000;
  /** Every sample the model hears is dithered: digital silence (and the tail padding) gives no words. */
  private readonly dither = new Dither();
  /** The engine's Silero, for this stream's gate (none: no voice-activity detection). */
  private readonly voice: VoiceSettings | undefined;
  private gate: VoiceGate | undefined;
  private phase: Phase = 'idle';
  /** Where silence began in the current pause (input samples). */
  private pauseStart = 0;
  /** Audio after a pause began, not yet decoded; while idle, the pre-roll (at most PREROLL_MS). */
  private held: Float32Array[] = [];
  private heldLength = 0;
  /** The message being handled (finals that `feed` posts answer it). */
  private seq = 0;
  private readonly utterance: UtteranceWatch;

  constructor(
    private readonly recognizer: SherpaOnlineRecognizer,
    readonly streamId: string,
    private readonly originMs: number,
    private readonly post: Post,
    private readonly options: Pick<StreamOptions, 'endpointingMs' | 'vad' | 'utteranceEndMs'>,
    voice?: VoiceSettings,
  ) {
    this.voice = options.vad ? voice : undefined;
    if (!this.voice) this.phase = 'speaking';
    this.utterance = new UtteranceWatch(streamId, options.utteranceEndMs, post);
  }

  /** Session audio time (ms) received so far. */
  get audioMs(): number {
    return this.ms(this.routed);
  }

  accept(seq: number, samples: Float32Array, sampleRate: number): void {
    this.feed(seq, samples, sampleRate);
    while (this.ready) this.recognizer.decode(this.current!), (this.decoded = true);
    this.emit(seq);
  }

  /** The sherpa stream, for decoding several streams in one call (see StreamBatcher); call `decodedElsewhere` after. */
  get sherpaStream(): SherpaOnlineStream {
    return this.current!;
  }

  /** A batch call decoded this stream's chunk. */
  decodedElsewhere(): void {
    this.decoded = true;
  }

  /** Whether a whole model chunk waits to be decoded. */
  get ready(): boolean {
    return this.current !== undefined && this.recognizer.isReady(this.current);
  }

  /**
   * Gives a message's samples to the voice gate ahead of `feed`; the engine then judges the windows of
   * every gate it gave audio to together (`hear`). Undefined without voice-activity detection.
   */
  listen(samples: Float32Array, sampleRate: number): VoiceGate | undefined {
    if (this.voice && !this.gate) this.gate = new VoiceGate(this.voice, sampleRate, Math.min(PAUSE_MS, this.options.endpointingMs));
    this.gate?.listen(samples);
    return this.gate;
  }

  /**
   * Takes audio without decoding its chunks (`accept` split in two so a batcher can decode between).
   * A segment that ends inside these samples is flushed here, before the rest goes on. With a voice
   * gate, the samples must have been listened to and heard first.
   */
  feed(seq: number, samples: Float32Array, sampleRate: number): void {
    this.seq = seq;
    this.sampleRate = sampleRate;
    if (!this.voice) this.route(samples);
    else {
      if (!this.gate) throw new Error('voice gate: audio routed before it was heard');
      const heard = this.gate.take();
      const frameStart = this.routed;
      let from = 0;
      for (const e of heard.events) {
        from = this.routeUntil(samples, frameStart, from, e.at);
        this.onVoice(e);
      }
      this.routeUntil(samples, frameStart, from, frameStart + samples.length, heard.judged);
    }
    this.utterance.advance(this.audioMs, seq);
  }

  /**
   * Takes the samples before input position `until` (`frameStart` is the first's position), then ends
   * the segment if its pause has lasted `endpointingMs` by `judged` (what the detector has heard).
   */
  private routeUntil(samples: Float32Array, frameStart: number, from: number, until: number, judged = until): number {
    const to = Math.min(samples.length, Math.max(from, until - frameStart));
    this.route(samples.subarray(from, to));
    if (this.phase === 'pausing' && this.pauseStart + this.samplesOf(this.options.endpointingMs) <= judged) this.endSegment('endpoint');
    return to;
  }

  /** Samples in order, by phase: decoded (speaking), held back (pausing), kept as pre-roll (idle). */
  private route(samples: Float32Array): void {
    if (samples.length === 0) return;
    if (this.phase === 'speaking') this.toModel(samples, this.routed);
    else {
      // The samples are this decoder's own (decoded per message), as the in-place dither needs: kept, not copied.
      this.held.push(samples);
      this.heldLength += samples.length;
      if (this.phase === 'idle') this.trimHeld(this.samplesOf(KEEP_MS));
    }
    this.routed += samples.length;
  }

  private onVoice(e: VoiceEvent): void {
    if (e.kind === 'onset') {
      if (this.phase === 'idle') {
        const atMs = Math.max(this.ms(this.routed - this.heldLength), this.ms(e.at) - ONSET_LAG_MS);
        this.post({ type: 'speech_started', streamId: this.streamId, seq: this.seq, atMs: Math.round(atMs) });
        this.alignPreroll();
      }
      this.phase = 'speaking';
      // Speech resumed within the pause, or began after its pre-roll: the held audio is decoded first.
      return this.release();
    }
    if (this.phase !== 'speaking') return;
    if (this.segFed >= this.samplesOf(SOFT_MAX_SEGMENT_MS)) {
      this.phase = 'idle';
      return this.endSegment('max_length');
    }
    this.phase = 'pausing';
    this.pauseStart = e.since;
    if (this.options.endpointingMs <= this.gate!.pauseMs) this.endSegment('endpoint');
  }

  /** Feeds the model samples that start at input position `at`, cutting a segment that reaches the hard limit. */
  private toModel(samples: Float32Array, at: number): void {
    const room = this.samplesOf(HARD_MAX_SEGMENT_MS) - this.segFed;
    if (this.voice && this.segOpen && samples.length > room) {
      this.toModel(samples.subarray(0, room), at);
      this.endSegment('max_length');
      return this.toModel(samples.subarray(room), at + room);
    }
    this.current ??= this.recognizer.createStream();
    if (!this.segOpen) {
      this.segOpen = true;
      this.segStart = at;
      this.segStreamAt = this.streamTotal;
      this.segFed = 0;
    }
    this.current.acceptWaveform({ samples: this.dither.apply(samples), sampleRate: this.sampleRate });
    this.streamTotal += samples.length;
    this.segFed += samples.length;
  }

  /**
   * After decoding what `feed` gave: a partial if the text changed (without a detector, a final at the
   * model's endpoint). Nothing can have changed unless a chunk was decoded since the last call (most
   * 100 ms frames complete no 320 ms chunk): then the result is not fetched at all.
   */
  emit(seq: number): void {
    if (!this.decoded || !this.current) return;
    this.decoded = false;
    const stream = this.current;
    const result = this.recognizer.getResult(stream);
    const text = result.text.trim();
    if (!this.voice && this.recognizer.isEndpoint(stream)) {
      this.recognizer.reset(stream);
      // The segment ends where decoding stopped, which is where the next one starts; audio fed past
      // it (less than a chunk) belongs to the next segment, so adjacent segments never overlap.
      const decodedMs = this.sessionMs(this.recognizer.getResult(stream).start_time);
      if (text !== '') this.postFinal(seq, result, 'endpoint', decodedMs);
      this.lastText = '';
    } else if (text !== this.lastText) {
      if (this.lastText === '' && !this.voice) this.post({ type: 'speech_started', streamId: this.streamId, seq, atMs: this.startMsOf(result) });
      this.lastText = text;
      this.utterance.words();
      const startMs = this.startMsOf(result);
      this.post({ type: 'partial', streamId: this.streamId, seq, text, startMs, endMs: Math.max(startMs, Math.round(this.ms(this.segStart + this.segFed))) });
    }
  }

  /**
   * Flushes the open segment as a final (a client's finalize, a close, a switch). Audio held back or
   * kept as pre-roll is decoded with it: a word the detector had not yet confirmed is not lost.
   */
  finalize(seq: number, reason: FinalReason): void {
    this.seq = seq;
    if (this.phase === 'idle' && this.heldLength > 0) this.alignPreroll();
    const phase = this.phase;
    this.release();
    this.endSegment(reason);
    if (phase !== 'speaking') this.phase = 'idle';
  }

  /** Feeds the model what was held back, in order. */
  private release(): void {
    const held = this.held;
    let at = this.routed - this.heldLength;
    this.held = [];
    this.heldLength = 0;
    for (const h of held) this.toModel(h, at), (at += h.length);
  }

  /**
   * Decodes the open segment to its end (padding the tail) and posts its final. With a detector the
   * stream is then reset and goes on (the next segment keeps the model's context); audio held after a
   * pause becomes the next segment's pre-roll. A close, a switch, or a stream without a detector is
   * finished instead, and the next audio starts a fresh stream.
   */
  private endSegment(reason: FinalReason): void {
    if (this.phase === 'pausing') {
      this.phase = 'idle';
      this.trimHeld(this.samplesOf(KEEP_MS));
    }
    const stream = this.current;
    if (!stream || !this.segOpen) return;
    const finished = !this.voice || reason === 'close' || reason === 'switch';
    const padding = this.dither.silence(Math.round(this.sampleRate * TAIL_PADDING_S));
    stream.acceptWaveform({ samples: padding, sampleRate: this.sampleRate });
    this.streamTotal += padding.length;
    if (finished) stream.inputFinished();
    while (this.recognizer.isReady(stream)) this.recognizer.decode(stream);
    const result = this.recognizer.getResult(stream);
    if (result.text.trim() !== '') this.postFinal(this.seq, result, reason, this.ms(this.segStart + this.segFed));
    if (finished) (this.current = undefined), (this.streamTotal = 0);
    else this.recognizer.reset(stream);
    this.segOpen = false;
    this.lastText = '';
    this.decoded = false;
  }

  /**
   * Trims the pre-roll to start on the chunk grid (at least PREROLL_MS before now): where it falls in
   * the stream's timeline, counted from the stream's first sample, is then a whole number of chunks
   * from where the session's grid puts it. Too little kept (a fresh session): the stream is padded instead.
   */
  private alignPreroll(): void {
    const chunk = this.samplesOf(CHUNK_MS);
    const end = this.routed;
    const want = end - Math.min(this.heldLength, this.samplesOf(PREROLL_MS));
    // The latest start at or before `want` whose stream position is on the session's grid.
    const start = want - mod(want - this.streamTotal, chunk);
    if (start >= end - this.heldLength) return this.trimHeld(end - start);
    const padding = mod(end - this.heldLength - this.streamTotal, chunk);
    if (padding === 0) return;
    this.current ??= this.recognizer.createStream();
    this.current.acceptWaveform({ samples: this.dither.silence(padding), sampleRate: this.sampleRate });
    this.streamTotal += padding;
  }

  /** Keeps only the last `keep` held samples. */
  private trimHeld(keep: number): void {
    while (this.held.length > 0 && this.heldLength - this.held[0]!.length >= keep) this.heldLength -= this.held.shift()!.length;
    const over = this.heldLength - keep;
    if (over > 0) (this.held[0] = this.held[0]!.subarray(over)), (this.heldLength = keep);
  }

  private samplesOf(ms: number): number {
    return Math.round((ms * this.sampleRate) / 1000);
  }

  /** Session ms of an input position. */
  private ms(samples: number): number {
    return this.originMs + (samples * 1000) / this.sampleRate;
  }

  /**
   * Session ms of a time (seconds) in the stream's timeline, within the open segment: its audio is
   * contiguous from `segStreamAt`; padding and skipped silence lie before it.
   */
  private sessionMs(streamSeconds: number): number {
    return this.ms(this.segStart + streamSeconds * this.sampleRate - this.segStreamAt);
  }

  /** Where a result's segment starts: the model's segment start, never before the segment's first sample. */
  private startMsOf(result: SherpaResult): number {
    return Math.round(Math.max(this.ms(this.segStart), this.sessionMs(result.start_time)));
  }

  private postFinal(seq: number, result: SherpaResult, reason: FinalReason, endAtMs: number): void {
    const startMs = this.startMsOf(result);
    const endMs = Math.max(startMs, Math.round(endAtMs));
    // Token times count from the model's segment start, which may lie in padding before the audio.
    const words = wordsFromTokens(result, Math.round(this.sessionMs(result.start_time)), endMs).map((w) => ({ ...w, start_ms: Math.max(w.start_ms, startMs), end_ms: Math.max(w.end_ms, startMs) }));
    this.utterance.final(words, endMs);
    this.post({ type: 'final', streamId: this.streamId, seq, text: result.text.trim(), startMs, endMs, words, reason });
  }
}

const mod = (a: number, n: number): number => ((a % n) + n) % n;
