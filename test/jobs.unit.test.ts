import { describe, expect, it } from 'bun:test';
import fc from 'fast-check';
import { parseSync } from 'subtitle';
import { WebVTTParser } from 'webvtt-parser';
import { createActor, SimulatedClock } from 'xstate';
import { jobQueueMachine } from '../actors/job-queue.machine';
import { Chunker, type AudioChunk } from '../src/jobs/chunking/chunker';
import { toCues, toSrt, toVerboseJson, toVtt } from '../src/jobs/formats';
import { jobLogLine } from '../src/jobs/log-lines';
import type { TextSegment as Segment } from '../src/jobs/formats';

describe('cutting a file into chunks at silences', () => {
  const options = { rate: 16_000, maxSamples: 1000, padSamples: 20, closeAfterSamples: 200 };
  /** Audio whose sample i holds i, so every chunk can be checked against where it claims to start. */
  const ramp = (from: number, n: number) => Float32Array.from({ length: n }, (_, i) => from + i);

  it('cuts between two stretches of speech that would not fit one chunk, in the quiet between them', () => {
    const c = new Chunker({ rate: 16_000, maxSamples: 10_000, padSamples: 200, closeAfterSamples: 2_000 });
    // Speech is loud, the gap between is quiet (but not silent at its edges).
    const audio = Float32Array.from({ length: 12_000 }, (_, i) => (i < 1_000 || (i >= 7_000 && i < 8_000) ? 0.001 * Math.abs(i - 7_500) / 500 : 0.5));
    c.push(audio);
    expect(c.speech(1_000, 7_000)).toEqual([]);
    const [first] = c.speech(8_000, 11_000);
    expect(first!.start).toBe(0);
    expect(Math.abs(first!.samples.length - 7_500)).toBeLessThanOrEqual(320);
    const [second] = c.finish();
    expect(second!.start).toBe(first!.samples.length);
    expect(second!.start + second!.samples.length).toBe(12_000);
  });

  it('cuts talk that ran on past a chunk (the VAD split it with no gap) at its quietest moment, not at the bound', () => {
    const c = new Chunker({ rate: 16_000, maxSamples: 10_000, padSamples: 200, closeAfterSamples: 2_000 });
    // Loud throughout but for one quiet dip (a pause between words) at 8,000.
    c.push(Float32Array.from({ length: 16_000 }, (_, i) => (Math.abs(i - 8_000) < 200 ? 0.01 : 0.5)));
    c.speech(0, 9_600);
    const [first] = c.speech(9_600, 15_000);
    expect(Math.abs(first!.samples.length - 8_000)).toBeLessThanOrEqual(200);
  });

  it('closes a chunk once the silence after its speech is long enough, and hands long silence out in bounded chunks too', () => {
    const c = new Chunker(options);
    c.push(ramp(0, 400));
    c.speech(50, 300);
    expect(c.silence(true)).toEqual([]);
    c.push(ramp(400, 200));
    const [chunk] = c.silence(false);
    expect({ start: chunk!.start, end: chunk!.start + chunk!.samples.length }).toEqual({ start: 0, end: 320 });
    const rest: AudioChunk[] = [];
    for (let at = 600; at < 5600; at += 100) (c.push(ramp(at, 100)), rest.push(...c.silence(false)));
    rest.push(...c.finish());
    expect(rest.map((ch) => ch.start)).toEqual(rest.map((_, i) => (i === 0 ? 320 : rest[i - 1]!.start + rest[i - 1]!.samples.length)));
    expect(rest.at(-1)!.samples.at(-1)).toBe(5599);
    for (const ch of rest) expect(ch.samples.length).toBeLessThanOrEqual(options.maxSamples);
  });

  it('hands out a file with no speech whole, in bounded chunks (the VAD may miss quiet speech)', () => {
    const c = new Chunker(options);
    const chunks: AudioChunk[] = [];
    for (let i = 0; i < 50; i++) (c.push(ramp(i * 1000, 1000)), chunks.push(...c.silence(false)));
    chunks.push(...c.finish());
    expect(chunks.reduce((n, ch) => n + ch.samples.length, 0)).toBe(50_000);
    for (const ch of chunks) expect(ch.samples.length).toBeLessThanOrEqual(options.maxSamples);
  });

  it('keeps none of the audio from being left out when the VAD reports speech late (a long stretch of talk)', () => {
    const c = new Chunker(options);
    const chunks: AudioChunk[] = [];
    // Talk from the first sample; the VAD is still hearing it (speaking) long after a chunk's worth.
    for (let at = 0; at < 2_400; at += 100) (c.push(ramp(at, 100)), chunks.push(...c.silence(true)));
    chunks.push(...c.speech(0, 940), ...c.speech(940, 1880));
    chunks.push(...c.finish());
    expect(chunks[0]!.start).toBe(0);
    expect(chunks.reduce((n, ch) => n + ch.samples.length, 0)).toBe(2_400);
  });

  it('keeps every chunk within the bound, in order, each starting where the last ended, covering the whole file', () => {
    const speechRuns = fc.array(fc.record({ gap: fc.integer({ min: 1, max: 600 }), length: fc.integer({ min: 1, max: options.maxSamples - 2 * options.padSamples }) }), { maxLength: 30 });
    fc.assert(
      fc.property(speechRuns, fc.integer({ min: 1, max: 150 }), (runs, piece) => {
        const c = new Chunker(options);
        const spans: [number, number][] = [];
        let at = 0;
        for (const r of runs) spans.push([(at += r.gap), (at += r.length)]);
        const total = at + 300;
        const chunks: AudioChunk[] = [];
        let pushed = 0;
        let next = 0;
        while (pushed < total) {
          const n = Math.min(piece, total - pushed);
          c.push(ramp(pushed, n));
          pushed += n;
          // The VAD reports a stretch of speech once it has heard some silence after it.
          while (next < spans.length && spans[next]![1] + 10 <= pushed) chunks.push(...c.speech(...spans[next++]!));
          // …and says it hears speech while a stretch not yet reported is under way.
          chunks.push(...c.silence(next < spans.length && spans[next]![0] < pushed));
        }
        while (next < spans.length) chunks.push(...c.speech(...spans[next++]!));
        chunks.push(...c.finish());
        let end = 0;
        for (const [i, ch] of chunks.entries()) {
          expect(ch.index).toBe(i);
          expect(ch.samples.length).toBeLessThanOrEqual(options.maxSamples);
          expect(ch.start).toBe(end);
          expect(ch.samples.every((v, k) => v === ch.start + k)).toBe(true);
          // The audio just before it (up to 2 s), as context.
          expect(ch.context.length).toBe(Math.min(ch.start, 32_000));
          expect(ch.context.every((v, k) => v === ch.start - ch.context.length + k)).toBe(true);
          end = ch.start + ch.samples.length;
        }
        expect(end).toBe(total);
      }),
      { numRuns: 300 },
    );
  });
});

/** The queue with recording actions: `ran` lists every run started, in order. */
function queue(limit = 1, maxAttempts = 3, retryBaseMs = 1000) {
  const ran: string[] = [];
  const reports: string[] = [];
  const clock = new SimulatedClock();
  const machine = jobQueueMachine.provide({
    actions: {
      run: (_, p) => void ran.push(p.id),
      retrying: (_, p) => void reports.push(`${p.id} retry ${p.failures} in ${p.delayMs}`),
      deadLetter: (_, p) => void reports.push(`${p.id} dead after ${p.failures}`),
      abort: (_, p) => void reports.push(`${p.id} abort`),
    },
  });
  const actor = createActor(machine, { input: { limit, maxAttempts, retryBaseMs }, clock });
  actor.start();
  const submit = (id: string, rank: number, seq: number) => actor.send({ type: 'ENQUEUE', job: { id, rank, seq } });
  return { actor, ran, reports, clock, submit };
}

describe('the job queue actor', () => {
  it('runs by priority, then in submission order, at most `limit` at once', () => {
    const q = queue(1);
    q.actor.send({ type: 'SET_LIMIT', limit: 0 });
    q.submit('low', 2, 1);
    q.submit('normal-1', 1, 2);
    q.submit('high', 0, 3);
    q.submit('normal-2', 1, 4);
    expect(q.ran).toEqual([]);
    q.actor.send({ type: 'SET_LIMIT', limit: 1 });
    for (const id of ['high', 'normal-1', 'normal-2']) q.actor.send({ type: 'FINISHED', id });
    expect(q.ran).toEqual(['high', 'normal-1', 'normal-2', 'low']);
  });

  it('starts more at once as soon as the limit is raised', () => {
    const q = queue(1);
    for (const [i, id] of ['a', 'b', 'c'].entries()) q.submit(id, 1, i);
    expect(q.ran).toEqual(['a']);
    q.actor.send({ type: 'SET_LIMIT', limit: 3 });
    expect(q.ran).toEqual(['a', 'b', 'c']);
  });

  it('retries a passing failure after 1x then 2x the base delay, then dead-letters it', () => {
    const q = queue(1, 3, 1000);
    q.submit('j', 1, 1);
    q.actor.send({ type: 'FAILED_TRANSIENT', id: 'j', code: 'engine_failed', reason: 'crash' });
    q.clock.increment(999);
    expect(q.ran).toEqual(['j']);
    q.clock.increment(1);
    expect(q.ran).toEqual(['j', 'j']);
    q.actor.send({ type: 'FAILED_TRANSIENT', id: 'j', code: 'engine_failed', reason: 'crash' });
    q.clock.increment(2000);
    q.actor.send({ type: 'FAILED_TRANSIENT', id: 'j', code: 'engine_failed', reason: 'crash' });
    expect(q.ran).toEqual(['j', 'j', 'j']);
    expect(q.reports).toEqual(['j retry 1 in 1000', 'j retry 2 in 2000', 'j dead after 3']);
    expect(q.actor.getSnapshot().context.running).toEqual([]);
  });

  it('lets another job run while one waits out its backoff, and puts the retry back in its place', () => {
    const q = queue(1);
    q.submit('first', 1, 1);
    q.submit('second', 1, 2);
    q.actor.send({ type: 'FAILED_TRANSIENT', id: 'first', code: 'timeout', reason: 'slow' });
    expect(q.ran).toEqual(['first', 'second']);
    q.clock.increment(1000);
    q.actor.send({ type: 'FINISHED', id: 'second' });
    expect(q.ran).toEqual(['first', 'second', 'first']);
  });

  it('counts failures recorded before a restart', () => {
    const q = queue(1, 3);
    q.actor.send({ type: 'ENQUEUE', job: { id: 'j', rank: 1, seq: 1 }, failures: 2 });
    q.actor.send({ type: 'FAILED_TRANSIENT', id: 'j', code: 'timeout', reason: 'slow' });
    expect(q.reports).toEqual(['j dead after 3']);
  });

  it('drops a cancelled job from the queue or its backoff, and asks a running one to stop', () => {
    const q = queue(1);
    q.submit('running', 1, 1);
    q.submit('waiting', 1, 2);
    q.actor.send({ type: 'CANCEL', id: 'waiting' });
    q.actor.send({ type: 'CANCEL', id: 'running' });
    expect(q.reports).toEqual(['running abort']);
    q.actor.send({ type: 'FAILED_TRANSIENT', id: 'running', code: 'x', reason: 'x' });
    q.actor.send({ type: 'CANCEL', id: 'running' });
    q.clock.increment(10_000);
    expect(q.ran).toEqual(['running']);
  });

  it('never runs the same job twice at once', () => {
    const q = queue(2);
    q.submit('j', 1, 1);
    q.submit('j', 1, 1);
    expect(q.ran).toEqual(['j']);
  });
});

const segment = (id: number, text: string, startMs: number, endMs: number, timed = true): Segment => {
  const words = text.split(' ');
  const step = (endMs - startMs) / words.length;
  return { id, text, start_ms: startMs, end_ms: endMs, words: timed ? words.map((word, i) => ({ word, start_ms: Math.round(startMs + i * step), end_ms: Math.round(startMs + (i + 1) * step) })) : [] };
};
const SEGMENTS = [
  segment(0, 'AND SO MY FELLOW AMERICANS ASK NOT WHAT YOUR COUNTRY CAN DO FOR YOU ASK WHAT YOU CAN DO FOR YOUR COUNTRY', 300, 11_000),
  segment(1, 'A SHORT ONE', 12_000, 13_000, false),
  segment(2, 'SUPERCALIFRAGILISTICEXPIALIDOCIOUS IS A LONG WORD <&> TOO', 3_600_000, 3_605_000),
];

describe('subtitles', () => {
  it('breaks lines at words within the limits and splits long segments into cues timed by their words', () => {
    const cues = toCues(SEGMENTS, { maxLineChars: 20, maxLines: 2 });
    for (const c of cues) {
      expect(c.lines.length).toBeLessThanOrEqual(2);
      for (const line of c.lines) expect(line.length <= 20 || !line.includes(' ')).toBe(true);
    }
    expect(cues.flatMap((c) => c.lines).join(' ')).toBe(SEGMENTS.map((s) => s.text).join(' '));
    cues.forEach((c, i) => i > 0 && expect(c.startMs).toBeGreaterThanOrEqual(cues[i - 1]!.endMs));
    expect(cues[0]!.startMs).toBe(300);
    expect(cues.filter((c) => c.startMs < 11_000).length).toBeGreaterThan(1);
  });

  it('ends cues at sentences, then clauses, before the limits, and leaves no word alone on a line', () => {
    const text = 'I went to the store on Monday. It was closed, so we drove to the next town over, where the market was open and busy.';
    const cues = toCues([segment(0, text, 0, 9_000)]);
    expect(cues.flatMap((c) => c.lines).join(' ')).toBe(text);
    expect(cues[0]!.lines.join(' ')).toBe('I went to the store on Monday.');
    for (const c of cues) {
      expect(c.lines.length).toBeLessThanOrEqual(2);
      for (const line of c.lines) expect(line.length).toBeLessThanOrEqual(42), expect(line.split(' ').length).toBeGreaterThan(1);
      // Every cue ends a sentence or a clause: none is cut where the limit fell.
      expect(c.lines.at(-1)!).toMatch(/[.,]$/);
    }
  });

  it('keeps a cue up into the pause after it until it can be read, never over the next one', () => {
    // Said in 0.6 s: 33 characters need 1.65 s at 20 a second; the next segment starts at 1.2 s.
    const cues = toCues([segment(0, 'Absolutely, positively wonderful.', 0, 600), segment(1, 'Yes.', 1_200, 1_500), segment(2, 'Certainly not, my dear.', 5_000, 5_400)]);
    expect(cues.map((c) => [c.startMs, c.endMs])).toEqual([[0, 1_200], [1_200, 1_500], [5_000, 6_150]]);
  });

  it('writes SubRip that a parser reads back cue for cue', () => {
    const cues = toCues(SEGMENTS);
    const parsed = parseSync(toSrt(SEGMENTS)).filter((n) => n.type === 'cue');
    expect(parsed.map((n) => (n.data as { start: number; end: number; text: string }).start)).toEqual(cues.map((c) => c.startMs));
    expect(parsed.map((n) => (n.data as { end: number }).end)).toEqual(cues.map((c) => c.endMs));
    expect(parsed.map((n) => (n.data as { text: string }).text)).toEqual(cues.map((c) => c.lines.join('\n')));
  });

  it('writes WebVTT that a strict parser accepts without errors, escaping what cue text may not hold', () => {
    const { cues, errors } = new WebVTTParser().parse(toVtt(SEGMENTS, { maxLineChars: 30, maxLines: 1 }), 'metadata');
    expect(errors).toEqual([]);
    expect(cues.length).toBe(toCues(SEGMENTS, { maxLineChars: 30, maxLines: 1 }).length);
    expect(cues.at(-1)!.text).toContain('&lt;&amp;> TOO');
    expect(cues[0]!.startTime).toBe(0.3);
  });

  it("gives OpenAI's verbose_json in seconds, words only when asked for", () => {
    const v = toVerboseJson('text', SEGMENTS, { language: 'en', durationMs: 3_605_000, temperature: 0, segments: true, words: false });
    expect(v.segments![1]).toMatchObject({ id: 1, start: 12, end: 13, text: 'A SHORT ONE', tokens: [] });
    expect(v.words).toBeUndefined();
    const w = toVerboseJson('text', SEGMENTS, { language: 'en', durationMs: 3_605_000, temperature: 0, segments: false, words: true });
    expect(w.segments).toBeUndefined();
    expect(w.words!.slice(0, 2)).toEqual([{ word: 'AND', start: 0.3, end: 0.786 }, { word: 'SO', start: 0.786, end: 1.273 }]);
  });
});

describe("a job's log lines", () => {
  const progressed = (chunking_done: boolean) => jobLogLine({ type: 'JobProgressed', data: { job_id: 'j', attempt: 1, progress: 0.25, processed_ms: 2000, chunks_done: 1, chunks_found: 4, chunking_done } } as Parameters<typeof jobLogLine>[0]).message;

  it('gives the number of chunks as a total only once the VAD has read the whole file', () => {
    expect(progressed(true)).toBe('chunk 1 of 4 done (25%, 2.0 s of audio)');
    expect(progressed(false)).toBe('chunk 1 done, 4 found so far (25%, 2.0 s of audio)');
  });
});
