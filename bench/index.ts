// bun run bench [--quick] [--soak MINUTES] [--out DIR]
// Every figure beside a baseline measured in the same run; prints tables, writes JSON and markdown.
// --quick (about seven minutes on 2 cores, run by the test suite) checks only that every figure is
// produced: it runs every section on a small sample, says what it cut, and judges no target.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseWav } from '../src/audio/wav';
import { sharedDir } from '../src/config';
import { pct, round } from './lib/proc';
import { accuracy, audioSets } from './sections/accuracy';
import { atLevel, concurrency, LAG_LIMIT_MS } from './sections/concurrency';
import { eventLog } from './sections/eventlog';
import { memory } from './sections/memory';
import { overhead, type OverheadResult } from './sections/overhead';
import { trust } from './sections/trust';
import { dictation } from './sections/dictation';
import { jobs } from './sections/jobs';
import { web, type WebResult } from './sections/web';
import { protocols } from './sections/protocols';
import { engines, type EngineSweep, type EnginesResult } from './sections/engines';
import { nodes } from './sections/nodes';
import { fidelity } from './sections/fidelity';
import { BASELINE, OFFLINE_BASELINE, OFFLINE_DEFAULT, turns, type Distribution, type TurnsResult } from './sections/turns';
import { formatBench, type FormatResult } from './sections/format';
import { agents, type AgentsResult } from './sections/agents';
import type { TextScores } from '../src/scoring/punctuation';
import { PREFERRED_DEFAULT_MODEL } from '../models/catalog';

const { values } = parseArgs({ args: Bun.argv.slice(2), options: { quick: { type: 'boolean', default: false }, soak: { type: 'string' }, out: { type: 'string' }, only: { type: 'string' } } });
const quick = values.quick!;
/** The headline model (the default), the same model with greedy search, and the two test fixtures as extra rows. */
const REAL = PREFERRED_DEFAULT_MODEL;
const GREEDY = `${REAL}-greedy`;
const STREAMING = 'tiny-streaming-lstm-ctc-en';
const OFFLINE = 'tiny-offline-bigru-ctc-en';
const plan = quick
  ? { jobRounds: 1, shortJobs: 4, liveSeconds: 3, uploadBytes: 64 * 1024 ** 2, dictationSentences: 3, typedAttempts: 50, spokenClips: 1, requests: 300, sessionOpens: 10, sseEvents: 50_000, overheadModels: [REAL, STREAMING], overheadClips: 6, concurrencyModels: [REAL], levels: [1, 4], seconds: 7, appends: 2000, logEvents: 20_000, lagClients: 2, lagSeconds: 2, sessions: 5, soak: 0.1, soakClients: 2, accuracyModels: [REAL, STREAMING], perSet: 2, webClips: ['1089-134686-0000.wav'], protocolClips: { librispeech: ['1089-134686-0000.wav'], telephony: ['vm-newuser'] }, refine: false, overheadRounds: 1, processModels: [REAL], realLevels: [1, 4], batchLevels: [4, 8], kills: 1, engineOverheadModels: [STREAMING], nodeLogEvents: 20_000, fidelityPerSet: 2, paceClips: 4, determinismRuns: 2, turnClips: 2, turnTailMs: 2500, turnEndpointing: [] as number[], turnsPerSet: 2, capacityLevels: [2], capacitySeconds: 4, costRounds: 1, heldOutWords: 4000, formatPerSet: 6, agentClips: 1 }
  : {
      // About 7 minutes of real speech in one file; 40 short clips; a 1 GiB upload.
      jobRounds: 6,
      shortJobs: 40,
      liveSeconds: 11,
      uploadBytes: 1024 ** 3,
      dictationSentences: 40,
      typedAttempts: 1000,
      spokenClips: 6,
      requests: 5_000,
      sessionOpens: 100,
      sseEvents: 1_000_000,
      overheadModels: [REAL, GREEDY, STREAMING],
      overheadClips: 40,
      concurrencyModels: [REAL, GREEDY],
      levels: [1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 160, 192, 256, 384],
      seconds: 12,
      appends: 20_000,
      logEvents: 1_000_000,
      lagClients: 16,
      lagSeconds: 10,
      sessions: 50,
      soak: 2,
      // Within one worker's capacity on the real model (about 25 beam-search streams per core), so
      // the soak measures memory and not an audio backlog piling up in an overloaded worker.
      soakClients: 12,
      accuracyModels: [REAL, GREEDY, STREAMING, OFFLINE],
      perSet: 1000,
      webClips: ['1089-134686-0000.wav', '1089-134686-0001.wav', '1089-134691-0000.wav'],
      protocolClips: { librispeech: ['1089-134686-0000.wav', '1089-134686-0001.wav', '1089-134691-0000.wav'], telephony: ['vm-newuser', 'dir-instr', 'vm-instructions'] },
      // Concurrency sweeps then halve the gap between the last level that held and the first that did not.
      refine: true,
      overheadRounds: 3,
      processModels: [REAL, GREEDY],
      realLevels: [16, 32, 48, 64, 80, 96, 128],
      batchLevels: [64, 128, 192, 256, 384, 512],
      kills: 5,
      engineOverheadModels: [REAL, GREEDY],
      nodeLogEvents: 200_000,
      // Every clip of every set through both paths; a 33 s recording at full speed and at real time.
      fidelityPerSet: 1000,
      paceClips: 12,
      determinismRuns: 5,
      // Ten real clips one at a time, each followed by 3.5 s of silence (the model's own rule needs up to 2.6 s).
      turnClips: 10,
      turnTailMs: 3500,
      turnEndpointing: [100, 300, 500],
      turnsPerSet: 1000,
      capacityLevels: [16, 32, 48, 64, 80, 96, 128, 160, 192],
      capacitySeconds: 16,
      costRounds: 3,
      // Section 16: the whole held-out sample, every clip of JFK and the telephone prompts.
      heldOutWords: 40_000,
      formatPerSet: 1000,
      // Section 17: every 16 kHz real clip (LibriSpeech and JFK), each followed by 6 s of silence (Flux's default timeout is 5 s).
      agentClips: 1000,
    };
const soakMinutes = values.soak ? Number(values.soak) : plan.soak;

const shared = sharedDir();
if (!shared) throw new Error('the benchmark needs ../shared (test models and audio) or VOXLOG_SHARED_DIR');
const seenDir = join(shared, 'audio', 'synthetic-seen');
const seen = readdirSync(seenDir).filter((f) => f.endsWith('.wav')).sort().map((f) => parseWav(new Uint8Array(readFileSync(join(seenDir, f)))).data);

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: navigator.hardwareConcurrency,
  memory_gb: round(totalmem() / 2 ** 30, 1),
  bun: Bun.version,
  sherpa_onnx_node: (JSON.parse(readFileSync(join(import.meta.dir, '../node_modules/sherpa-onnx-node/package.json'), 'utf8')) as { version: string }).version,
  commit: Bun.spawnSync(['git', 'rev-parse', '--short', 'HEAD'], { cwd: import.meta.dir }).stdout.toString().trim(),
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
};
const say = (s = '') => console.log(s);
/**
 * A target's verdict. A quick run measures every figure on a sliver of the audio and a handful of
 * streams: capacity, latency under load and error rates at that scale say nothing about the targets,
 * so it reports them and judges none.
 */
const yes = (ok: boolean) => (quick ? 'not judged (quick run)' : ok ? 'met' : 'NOT met');
const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
say(`voxlog benchmark (${machine.mode}) on ${machine.cpu}, ${machine.cores} cores, Bun ${machine.bun}, sherpa-onnx-node ${machine.sherpa_onnx_node}, ${machine.date}`);
say(`Headline model: ${REAL} (beam search, 4 paths; the default). ${GREEDY} is the same model with greedy search.`);
say('The load generator is this process; the server runs in its own. Both share the machine\'s cores, so CPU is reported for each.');
if (quick) {
  say('QUICK RUN: every section runs, on a sample, to check that each figure is produced; no target is judged. Cut from the full run:');
  say(`  concurrency sweeps at ${plan.levels.join(', ')} streams (full: up to ${384}); capacity at ${plan.capacityLevels.join(', ')} (full: up to 192); accuracy on ${plan.perSet} clips per set (full: every clip);`);
  say(`  ${plan.shortJobs} short jobs and 1 long-file round (full: 40 and 6); a ${plan.uploadBytes / 1024 ** 2} MiB upload (full: 1 GiB); ${plan.logEvents} log events (full: 1,000,000);`);
  say(`  a ${plan.soak}-minute soak (full: 2); ${plan.heldOutWords} held-out words for punctuation (full: 40,000); ${plan.turnClips} clips for turns (full: 10). The full run is: bun run bench`);
}

// `--only turns`, `--only format` or `--only agents`: section 15, 16 or 17 alone, written as its own report (the others take an hour).
if (values.only !== undefined) {
  const sections: Record<string, { title: string; run: () => Promise<object>; markdown: (r: never) => string }> = {
    turns: { title: 'section 15', run: turnsSection, markdown: turnsMarkdown },
    format: { title: 'section 16', run: async () => formatSection(await conversationHolding()), markdown: formatMarkdown },
    agents: { title: 'section 17', run: agentsSection, markdown: agentsMarkdown },
  };
  const only = sections[values.only];
  if (!only) throw new Error(`--only ${values.only}: only "turns" (section 15), "format" (section 16) or "agents" (section 17) runs alone`);
  const t = await only.run();
  const outDir = values.out ?? join(import.meta.dir, quick ? 'out' : 'results');
  mkdirSync(outDir, { recursive: true });
  const stem = `${quick ? 'quick' : `${machine.date.slice(0, 10)}-${machine.commit}`}-${values.only}`;
  writeFileSync(join(outDir, `${stem}.json`), `${JSON.stringify({ machine, [values.only]: t }, null, 2)}\n`);
  writeFileSync(join(outDir, `${stem}.md`), `# voxlog benchmark, ${only.title} alone, ${machine.date.slice(0, 10)} (${machine.mode})\n\nMachine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory_gb} GiB; Bun ${machine.bun}; sherpa-onnx-node ${machine.sherpa_onnx_node}; commit ${machine.commit}.\n\n${only.markdown(t as never)}`);
  say(`\nwrote ${join(outDir, `${stem}.json`)} and ${stem}.md`);
  const missing = missingFigures(t);
  if (missing.length > 0) {
    console.error(`figures not produced: ${missing.join(', ')}`);
    process.exit(1);
  }
  process.exit(0);
}

say(`\n1. Engine overhead: the same clips decoded directly with sherpa-onnx in a Worker vs through the server over WebSocket (as fast as accepted), median of ${plan.overheadRounds} alternating round(s)`);
const overheads: (OverheadResult & { model: string })[] = [];
for (const model of plan.overheadModels) {
  const ov = { model, ...(await overhead(model, seen.slice(0, plan.overheadClips), {}, plan.overheadRounds)) };
  overheads.push(ov);
  say(`   ${model}: ${ov.clips} clips, ${f(ov.audio_s, 1)} s of audio: direct RTF ${f(ov.direct_rtf, 4)} | server RTF ${f(ov.server_rtf, 4)} | server/direct ${f(ov.ratio, 2)}x | transcripts ${ov.transcripts_identical ? 'identical' : `DIFFER on ${ov.differences.length} clips: ${JSON.stringify(ov.differences.slice(0, 3))}`}`);
}
const directRtf = (model: string) => overheads.find((o) => o.model === model)?.direct_rtf ?? NaN;

say(`\n2. Concurrency: N clients streaming speech at 1x in 100 ms frames (${plan.seconds} s each); holds = p95 partial lag < ${LAG_LIMIT_MS} ms without a growing backlog`);
const concs: (Omit<Awaited<ReturnType<typeof concurrency>>, 'raw'> & { model: string; ceiling_streams: number })[] = [];
for (const model of plan.concurrencyModels) {
  const { raw: _raw, ...conc } = await concurrency(seen, plan.levels, plan.seconds, { VOXLOG_DEFAULT_MODEL: model }, plan.refine);
  const ceiling = machine.cores / directRtf(model);
  concs.push({ model, ...conc, ceiling_streams: ceiling });
  say(`   ${model}`);
  say('   clients | partial lag p50/p95/p99 ms | backlog growth ms | endpoint→final p50/p95 ms | server CPU % | main thread % | loadgen CPU % | holds');
  for (const l of conc.levels) {
    say(
      `   ${String(l.clients).padStart(7)} | ${`${f(l.partial_lag_ms.p50)} / ${f(l.partial_lag_ms.p95)} / ${f(l.partial_lag_ms.p99)}`.padStart(26)} | ${f(l.backlog_growth_ms).padStart(17)} | ${`${f(l.endpoint_to_final_ms.p50)} / ${f(l.endpoint_to_final_ms.p95)}`.padStart(25)} | ${f(l.server_cpu_pct).padStart(12)} | ${f(l.main_thread_cpu_pct).padStart(13)} | ${f(l.loadgen_cpu_pct).padStart(13)} | ${l.holds ? 'yes' : 'NO'}`,
    );
  }
  say(`   largest N that holds: ${conc.largest_holding}${conc.levels.every((l) => l.holds) ? ' (every level tried held)' : ''} | ceiling implied by the direct RTF on ${machine.cores} cores: ${f(ceiling)} streams (${f((conc.largest_holding / ceiling) * 100)} % reached)`);
}

say('\n3. Latency distributions (first partial: from the first word\'s start; endpoint→final: from the last word\'s end, including the endpointing silence)');
for (const c of concs) {
  for (const d of c.latency) {
    say(
      `   ${c.model} N=${d.clients}: first partial p50/p90/p99 ${f(d.first_partial_ms.p50)}/${f(d.first_partial_ms.p90)}/${f(d.first_partial_ms.p99)} ms (n=${d.first_partial_ms.n}) | endpoint→final ${f(d.endpoint_to_final_ms.p50)}/${f(d.endpoint_to_final_ms.p90)}/${f(d.endpoint_to_final_ms.p99)} ms (n=${d.endpoint_to_final_ms.n}) | server latency_ms ${f(d.server_final_latency_ms.p50)}/${f(d.server_final_latency_ms.p90)}/${f(d.server_final_latency_ms.p99)}`,
    );
  }
}

say(`\n4. Event log (${plan.appends} appends per figure, WAL, synchronous=NORMAL)`);
// The log's cost shows under load, but at the knee of the curve a burst of N clients starting together
// swamps it in noise: compare at half the largest N that held on the default model (quick mode: a small N).
const lagClients = quick ? plan.lagClients : Math.max(8, Math.floor((concs[0]?.largest_holding ?? 16) / 2));
const log = await eventLog({ appends: plan.appends, logEvents: plan.logEvents, lagClients, lagSeconds: plan.lagSeconds, clips: seen });
say(`   EventStore.append, 1 event per append (group commit, 3 projections): ${log.store_single_per_s}/s | baseline raw INSERT, 1 row per transaction: ${log.raw_row_per_tx_per_s}/s`);
say(`   EventStore.append, 10 events per append: ${log.store_batch10_per_s}/s | baseline raw INSERT, 1000 rows per transaction: ${log.raw_1000_per_tx_per_s}/s`);
say(`   EventStore.append without projections: ${log.store_no_projections_per_s}/s`);
say(`   replay of a ${log.replay.log_events}-event log: ${f(log.replay.seconds, 1)} s, ${log.replay.log_events_per_s} log events/s (${log.replay.projected_events} reached a projection: ${log.replay.projected_per_s}/s); rebuild ${log.replay.rebuild_equals_live ? 'equals' : 'DIFFERS FROM'} the live tables`);
say(`   p95 partial lag at N=${log.partial_lag_p95_ms.clients} on ${REAL}: log on ${f(log.partial_lag_p95_ms.log_on)} ms | log off ${f(log.partial_lag_p95_ms.log_off)} ms`);

say(`\n5. Memory (server RSS, 1 worker per model)`);
const mem = await memory({ models: [REAL, STREAMING, OFFLINE], sessions: plan.sessions, soakMinutes, soakClients: plan.soakClients, clips: seen });
say(`   idle server ${f(mem.idle_server_mb)} MB | per loaded model: ${Object.entries(mem.per_loaded_model_mb).map(([m, v]) => `${m} +${f(v, 1)} MB`).join(', ')}`);
say(`   per idle session ${f(mem.per_idle_session_mb, 2)} MB | per active session ${f(mem.per_active_session_mb, 2)} MB (${mem.sessions_measured} sessions on ${REAL})`);
say(`   soak ${mem.soak.minutes} min with ${mem.soak.clients} clients on ${REAL}: start ${f(mem.soak.start_mb)} MB, end ${f(mem.soak.end_mb)} MB, max ${f(mem.soak.max_mb)} MB, slope over the second half ${f(mem.soak.slope_mb_per_min, 2)} MB/min`);

say('\n6. Accuracy through the server (WER / CER, pooled over each set)');
const acc = await accuracy(plan.accuracyModels, audioSets(join(shared, 'audio'), plan.perSet));
say('   model                                set              input  clips  words    WER    CER');
for (const r of acc) say(`   ${r.model.padEnd(36)} ${r.set.padEnd(16)} ${r.input.padEnd(6)} ${String(r.clips).padStart(5)} ${String(r.words).padStart(6)}  ${f(r.wer, 3)}  ${f(r.cer, 3)}`);

say('\n7. Trust: the cost of auth where every client passes, and the live tail on a big log');
const tr = await trust({ requests: plan.requests, sessions: plan.sessionOpens, sseEvents: plan.sseEvents });
say(`   GET /api/v1/sessions, 8 at a time: auth off (baseline) ${tr.requests_per_s.auth_off}/s | JWT ${tr.requests_per_s.jwt}/s | API key ${tr.requests_per_s.api_key}/s`);
say(`   WebSocket open → ready p50: auth off (baseline) ${f(tr.session_open_ms_p50.auth_off, 1)} ms | JWT ${f(tr.session_open_ms_p50.jwt, 1)} ms | API key ${f(tr.session_open_ms_p50.api_key, 1)} ms`);
say(`   SSE from position 0 on a ${tr.sse.log_events}-event log: ${f(tr.sse.seconds, 1)} s, ${tr.sse.events_per_s} events/s | baseline GET /api/v1/events paging ${tr.sse.paging_events_per_s} events/s | server RSS ${f(tr.sse.rss_before_mb)} MB before, peak ${f(tr.sse.rss_peak_mb)} MB`);

say('\n8. Dictation: item speech per voice, attempt scoring, spoken attempts, and the real model hearing each voice');
const heldOut = readFileSync(join(shared, 'audio', 'synthetic', 'trans.tsv'), 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t')[1]!);
const libri = readFileSync(join(shared, 'audio', 'librispeech', 'trans.tsv'), 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string]);
const dict = await dictation({
  sentences: heldOut.slice(0, plan.dictationSentences),
  // 16 kHz clips only: the direct-decode baseline feeds PCM16 at 16 kHz.
  clips: libri.filter(([name]) => name !== '8k.wav').slice(0, plan.spokenClips).map(([name, reference]) => ({ path: join(shared, 'audio', 'librispeech', name.endsWith('.wav') ? name : `${name}.wav`), reference })),
  typedAttempts: plan.typedAttempts,
});
say('   voice              items  through the server items/s  direct binary items/s (2 at a time)  audio s/item   real-model WER on its speech');
for (const t of dict.tts) {
  const w = dict.voice_wer.find((v) => v.voice === t.voice)!;
  say(`   ${t.voice.padEnd(18)} ${String(t.items).padStart(5)}  ${f(t.server_items_per_s, 1).padStart(24)}  ${f(t.direct_items_per_s, 1).padStart(35)}  ${f(t.audio_s_per_item, 2).padStart(12)}   ${f(w.wer, 3)} (${w.words} words)`);
}
const ts = dict.typed_scoring_ms;
say(`   typed attempt, ${ts.attempts} in a row: POST /api/v1/attempts p50 ${f(ts.http_p50, 2)} ms, p95 ${f(ts.http_p95, 2)} ms | baseline scoreAttempt() in-process p50 ${f(ts.function_p50, 3)} ms, p95 ${f(ts.function_p95, 3)} ms`);
say(`   spoken attempts, ${dict.spoken.clips} LibriSpeech clips (${f(dict.spoken.audio_s, 1)} s): RTF through POST /api/v1/attempts ${f(dict.spoken.server_rtf, 4)} | baseline direct sherpa-onnx ${f(dict.spoken.direct_rtf, 4)} | WER ${f(dict.spoken.wer, 3)}`);

say('\n9. Batch jobs: a long file across both workers, many short files, a live session beside a job, a large upload');
const job = await jobs({ rounds: plan.jobRounds, shortClips: readdirSync(seenDir).filter((f) => f.endsWith('.wav')).sort().slice(0, plan.shortJobs).map((f) => new Uint8Array(readFileSync(join(seenDir, f)))), liveSeconds: plan.liveSeconds, uploadBytes: plan.uploadBytes });
const lf = job.long_file;
say(`   ${f(lf.audio_s, 1)} s of real speech in one file (${lf.chunks} chunks): job RTF ${f(lf.job_rtf, 4)} (wall from submit ${f(lf.wall_rtf, 4)}) | baseline one thread decoding it directly ${f(lf.direct_rtf, 4)} | job/direct ${f(lf.ratio, 2)}x | WER job ${f(lf.job_wer, 3)}, direct ${f(lf.direct_wer, 3)}`);
say(`   ${job.short_files.files} short files (${f(job.short_files.audio_s, 1)} s) as jobs, ${job.short_files.concurrency} at a time: ${f(job.short_files.jobs_per_min)} jobs/min | baseline decoded directly one after another: ${f(job.short_files.direct_files_per_min)} files/min`);
say(`   a live session (${job.live_during_job.clip_s} s at real time), mean final latency: idle ${f(job.live_during_job.idle_final_latency_ms)} ms | while a long job runs ${f(job.live_during_job.busy_final_latency_ms)} ms`);
say(`   ${f(job.upload.bytes / 2 ** 20)} MiB upload in ${f(job.upload.seconds, 1)} s: server RSS idle ${f(job.upload.idle_rss_mb)} MB (baseline), peak during the upload ${f(job.upload.peak_rss_mb)} MB`);

say('\n10. Web app: the bundle, serving it, loading the live page, and the browser microphone path beside the native client');
const webApp = await web({ clips: plan.webClips });
if ('skipped' in webApp) say(`   skipped: ${webApp.skipped}`);
else {
  const b = webApp.bundle;
  say(`   bundle ${b.files.map((x) => `${x.name} ${f(x.bytes / 1e3, 1)} kB`).join(', ')}: ${f(b.bytes / 1e3, 1)} kB | sent gzipped ${f(b.gzip_bytes / 1e3, 1)} kB | built in ${f(b.build_ms)} ms`);
  say(`   GET /ui/main.js on a fresh server (bundled then) ${f(webApp.first_request.bundling_ms)} ms | again (kept) ${f(webApp.first_request.cached_ms, 1)} ms`);
  say(`   /live in Chromium until Record is enabled: first page of a fresh server ${f(webApp.page_load.cold_ms)} ms | again ${f(webApp.page_load.warm_ms)} ms`);
  const l = webApp.live;
  say(`   ${l.clips} LibriSpeech clip(s), ${l.words} words, through the page's microphone: WER ${f(l.page_wer, 3)}, server final latency ${f(l.page_final_latency_ms)} ms | native client at real time: WER ${f(l.native_wer, 3)}, ${f(l.native_final_latency_ms)} ms`);
}

say('\n11. Protocol adapters: the same clips at real time through each adapter and through the native protocol');
const proto = await protocols(plan.protocolClips);
for (const p of proto.rows) {
  say(`   ${p.protocol} (${p.input}, ${p.clips} clip(s), ${p.words} words): WER ${f(p.wer, 3)}, final lag ${f(p.final_lag_ms)} ms | native protocol: WER ${f(p.native_wer, 3)}, ${f(p.native_final_lag_ms)} ms`);
}

say('\n12. Engines: the process host beside the Worker host, batched decoding beside one by one, and a killed engine');
const eng = await engines(
  {
    overheadModels: plan.engineOverheadModels,
    overheadClips: seen.slice(0, plan.overheadClips),
    overheadRounds: plan.overheadRounds,
    processModels: plan.processModels,
    realLevels: plan.realLevels,
    batchModel: STREAMING,
    batchLevels: plan.batchLevels,
    clips: seen,
    seconds: plan.seconds,
    restartModel: REAL,
    kills: plan.kills,
    refine: plan.refine,
  },
  say,
);
const targets = engineTargets(eng);
for (const t of targets) say(`   ${t.figure}: ${t.value} | baseline ${t.baseline} | target ${t.target}: ${t.met}`);

say('\n13. Several nodes on PostgreSQL: appends, replay and the largest holding N, beside SQLite and one node');
const multi = await nodes({ appends: plan.appends, logEvents: plan.nodeLogEvents, model: REAL, levels: plan.realLevels, seconds: plan.seconds, clips: seen, refine: plan.refine });
const oneNodeSqlite = concs.find((c) => c.model === REAL)?.largest_holding ?? NaN;
say(`   ${multi.postgres}`);
say(`   appends/s (1 event each, every projection, 500 in flight per node): SQLite one node (baseline) ${multi.appends_per_s.sqlite_one_node} | PostgreSQL one node ${multi.appends_per_s.postgres_one_node} | PostgreSQL two nodes together ${multi.appends_per_s.postgres_two_nodes}`);
say(`   replay of ${multi.replay.log_events} events: SQLite projections rebuilt (baseline) ${multi.replay.sqlite_rebuild_per_s}/s | a new node catching up from PostgreSQL ${multi.replay.postgres_catch_up_per_s}/s | log copy into PostgreSQL ${multi.replay.copy_per_s}/s (verified: ${multi.replay.copy_verified ? 'equal' : 'DIFFERS'})`);
say(`   largest holding N on ${REAL}: one node on SQLite (section 2, baseline) ${oneNodeSqlite} | one node on PostgreSQL ${multi.holding.one_node_postgres} | two nodes on PostgreSQL, one worker each ${multi.holding.two_nodes_postgres}`);

say('\n14. Every sample heard: full speed vs real time, digital vs dithered silence, file vs streaming path, repeat runs, a closed flooder');
const fid = await fidelity({ sets: audioSets(join(shared, 'audio'), plan.fidelityPerSet), paceClips: seen.slice(0, plan.paceClips), quick, determinismRuns: plan.determinismRuns });
say(`   ${fid.pacing.audio_s} s of audio at full speed (${fid.pacing.full_speed_s} s) vs at ${quick ? '4x ' : ''}real time (baseline, ${fid.pacing.real_time_s} s): transcripts ${fid.pacing.identical ? 'identical' : 'DIFFERENT'}`);
for (const r of fid.silence) say(`   ${r.set.padEnd(16)} ${String(r.clips).padStart(3)} clips: WER after 2.5 s of digital zeros ${f(r.wer_digital, 3)} | after ±30 LSB dithered silence (baseline) ${f(r.wer_dithered, 3)}`);
for (const r of fid.file_vs_streaming) say(`   ${r.set.padEnd(16)} ${String(r.clips).padStart(3)} clips: WER file path (POST /v1/listen) ${f(r.wer_file, 3)} | streaming (baseline) ${f(r.wer_streaming, 3)}`);
for (const r of fid.determinism) say(`   ${r.format.padEnd(5)} ${r.runs} runs: ${r.distinct} distinct transcript(s), WER ${f(r.wer, 3)}`);
say(`   a deaf flooder closed for a frame over the limit: ${fid.flooder.mb_after_close} MB into its socket in the 3 s after; a reading one: ${fid.flooder.close_to_teardown_ms} ms from its closed message to TCP teardown`);

const turnsReport = await turnsSection();
const formatReport = await formatSection(turnsReport.capacity.conversation.largest_holding || (await conversationHolding()));
const agentsReport = await agentsSection();

const report = { machine, overhead: overheads, concurrency: concs, event_log: log, memory: mem, accuracy: acc, trust: tr, dictation: dict, jobs: job, web: webApp, protocols: proto, engines: { ...eng, targets }, nodes: { ...multi, holding: { ...multi.holding, one_node_sqlite: oneNodeSqlite } }, fidelity: fid, turns: turnsReport, format: formatReport, agents: agentsReport };
const outDir = values.out ?? join(import.meta.dir, quick ? 'out' : 'results');
mkdirSync(outDir, { recursive: true });
const stem = quick ? 'quick' : `${machine.date.slice(0, 10)}-${machine.commit}`;
writeFileSync(join(outDir, `${stem}.json`), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(outDir, `${stem}.md`), markdown(report));
say(`\nwrote ${join(outDir, `${stem}.json`)} and ${stem}.md`);

// Quick mode exists so the benchmark never rots: every figure must have been produced.
const missing = missingFigures(report);
if (missing.length > 0) {
  console.error(`figures not produced: ${missing.join(', ')}`);
  process.exit(1);
}

function missingFigures(value: unknown, path = ''): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => missingFigures(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => missingFigures(v, path ? `${path}.${k}` : k));
  return [];
}

function rows(head: string[], body: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((b) => `| ${b.join(' | ')} |`)].join('\n');
}

function markdown(r: typeof report): string {
  return `# voxlog benchmark, ${r.machine.date.slice(0, 10)} (${r.machine.mode})

Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memory_gb} GiB; Bun ${r.machine.bun}; sherpa-onnx-node ${r.machine.sherpa_onnx_node}; commit ${r.machine.commit}.
The load generator and the server are separate processes sharing these cores.

## 1. Engine overhead (${r.overhead[0]?.clips} clips, ${f(r.overhead[0]?.audio_s ?? NaN, 1)} s)
${rows(['model', 'direct sherpa-onnx RTF (baseline)', 'through the server RTF', 'server/direct', 'transcripts'], r.overhead.map((o) => [o.model, f(o.direct_rtf, 4), f(o.server_rtf, 4), `${f(o.ratio, 2)}x`, o.transcripts_identical ? 'identical' : `differ on ${o.differences.length}`]))}

## 2. Concurrency (1x real time, ${r.concurrency[0]?.seconds_per_client} s per client)
${r.concurrency
  .map(
    (c) => `### ${c.model}
${rows(['clients', 'partial lag p50/p95/p99 ms', 'backlog growth ms', 'endpoint→final p50/p95 ms', 'server CPU %', 'main thread CPU %', 'loadgen CPU %', 'holds'], c.levels.map((l) => [l.clients, `${f(l.partial_lag_ms.p50)}/${f(l.partial_lag_ms.p95)}/${f(l.partial_lag_ms.p99)}`, f(l.backlog_growth_ms), `${f(l.endpoint_to_final_ms.p50)}/${f(l.endpoint_to_final_ms.p95)}`, f(l.server_cpu_pct), f(l.main_thread_cpu_pct), f(l.loadgen_cpu_pct), l.holds ? 'yes' : 'no']))}

Largest N holding p95 < ${LAG_LIMIT_MS} ms: **${c.largest_holding}**; ceiling implied by the direct RTF on ${r.machine.cores} cores: ${f(c.ceiling_streams)} streams.`,
  )
  .join('\n\n')}

## 3. Latency
${rows(['model', 'clients', 'first partial p50/p90/p99 ms', 'endpoint→final p50/p90/p99 ms', 'server latency_ms p50/p90/p99'], r.concurrency.flatMap((c) => c.latency.map((d) => [c.model, d.clients, `${f(d.first_partial_ms.p50)}/${f(d.first_partial_ms.p90)}/${f(d.first_partial_ms.p99)}`, `${f(d.endpoint_to_final_ms.p50)}/${f(d.endpoint_to_final_ms.p90)}/${f(d.endpoint_to_final_ms.p99)}`, `${f(d.server_final_latency_ms.p50)}/${f(d.server_final_latency_ms.p90)}/${f(d.server_final_latency_ms.p99)}`])))}

## 4. Event log
${rows(['figure', 'events/s', 'baseline', 'events/s'], [['EventStore, 1 event per append', r.event_log.store_single_per_s, 'raw INSERT, 1 row per transaction', r.event_log.raw_row_per_tx_per_s], ['EventStore, 10 per append', r.event_log.store_batch10_per_s, 'raw INSERT, 1000 rows per transaction', r.event_log.raw_1000_per_tx_per_s], ['EventStore, no projections', r.event_log.store_no_projections_per_s, '', '']])}

Replay of ${r.event_log.replay.log_events} events: ${f(r.event_log.replay.seconds, 1)} s, ${r.event_log.replay.log_events_per_s} log events/s (${r.event_log.replay.projected_per_s} projected events/s); rebuild ${r.event_log.replay.rebuild_equals_live ? 'equals' : 'differs from'} the live tables.
p95 partial lag at N=${r.event_log.partial_lag_p95_ms.clients}: log on ${f(r.event_log.partial_lag_p95_ms.log_on)} ms, log off ${f(r.event_log.partial_lag_p95_ms.log_off)} ms.

## 5. Memory
Idle server ${f(r.memory.idle_server_mb)} MB; ${Object.entries(r.memory.per_loaded_model_mb).map(([m, v]) => `${m} +${f(v, 1)} MB`).join('; ')}; per idle session ${f(r.memory.per_idle_session_mb, 2)} MB; per active session ${f(r.memory.per_active_session_mb, 2)} MB.
Soak ${r.memory.soak.minutes} min, ${r.memory.soak.clients} clients: ${f(r.memory.soak.start_mb)} → ${f(r.memory.soak.end_mb)} MB (max ${f(r.memory.soak.max_mb)}), slope ${f(r.memory.soak.slope_mb_per_min, 2)} MB/min.

## 6. Accuracy (through the server)
${rows(['model', 'set', 'input', 'clips', 'words', 'WER', 'CER'], r.accuracy.map((a) => [a.model, a.set, a.input, a.clips, a.words, f(a.wer, 3), f(a.cer, 3)]))}

## 7. Trust
${rows(['figure', 'auth off (baseline)', 'JWT', 'API key'], [['GET /api/v1/sessions per s (8 at a time)', r.trust.requests_per_s.auth_off, r.trust.requests_per_s.jwt, r.trust.requests_per_s.api_key], ['WebSocket open → ready p50 ms', f(r.trust.session_open_ms_p50.auth_off, 1), f(r.trust.session_open_ms_p50.jwt, 1), f(r.trust.session_open_ms_p50.api_key, 1)]])}

SSE from position 0 on a ${r.trust.sse.log_events}-event log: ${f(r.trust.sse.seconds, 1)} s (${r.trust.sse.events_per_s} events/s; baseline GET /api/v1/events paging ${r.trust.sse.paging_events_per_s} events/s); server RSS ${f(r.trust.sse.rss_before_mb)} MB before, peak ${f(r.trust.sse.rss_peak_mb)} MB.

## 8. Dictation
${rows(['voice', 'items', 'through the server items/s', 'baseline: binary directly, 2 at a time, items/s', 'audio s per item', 'real-model WER on its speech'], r.dictation.tts.map((t) => [t.voice, t.items, f(t.server_items_per_s, 1), f(t.direct_items_per_s, 1), f(t.audio_s_per_item, 2), f(r.dictation.voice_wer.find((w) => w.voice === t.voice)!.wer, 3)]))}

Typed attempts (${r.dictation.typed_scoring_ms.attempts}): POST /api/v1/attempts p50 ${f(r.dictation.typed_scoring_ms.http_p50, 2)} ms, p95 ${f(r.dictation.typed_scoring_ms.http_p95, 2)} ms; baseline scoreAttempt() in-process p50 ${f(r.dictation.typed_scoring_ms.function_p50, 3)} ms, p95 ${f(r.dictation.typed_scoring_ms.function_p95, 3)} ms.
Spoken attempts (${r.dictation.spoken.clips} LibriSpeech clips, ${f(r.dictation.spoken.audio_s, 1)} s): RTF ${f(r.dictation.spoken.server_rtf, 4)} through the server, baseline direct sherpa-onnx ${f(r.dictation.spoken.direct_rtf, 4)}; WER ${f(r.dictation.spoken.wer, 3)}.

## 9. Batch jobs
${rows(['figure', 'through the job path', 'baseline in the same run'], [
  [`RTF, ${f(r.jobs.long_file.audio_s, 1)} s file in ${r.jobs.long_file.chunks} chunks`, `${f(r.jobs.long_file.job_rtf, 4)} (${f(r.jobs.long_file.ratio, 2)}x the baseline; wall from submit ${f(r.jobs.long_file.wall_rtf, 4)})`, `${f(r.jobs.long_file.direct_rtf, 4)}: one thread decoding it directly`],
  ['WER on that file', f(r.jobs.long_file.job_wer, 3), f(r.jobs.long_file.direct_wer, 3)],
  [`${r.jobs.short_files.files} short files (${f(r.jobs.short_files.audio_s, 1)} s), per minute`, `${f(r.jobs.short_files.jobs_per_min)} jobs (${r.jobs.short_files.concurrency} at a time)`, `${f(r.jobs.short_files.direct_files_per_min)} files decoded one after another`],
  [`live session final latency (${r.jobs.live_during_job.clip_s} s at real time)`, `${f(r.jobs.live_during_job.busy_final_latency_ms)} ms while a long job runs`, `${f(r.jobs.live_during_job.idle_final_latency_ms)} ms idle`],
  [`server RSS, ${f(r.jobs.upload.bytes / 2 ** 20)} MiB upload (${f(r.jobs.upload.seconds, 1)} s)`, `${f(r.jobs.upload.peak_rss_mb)} MB peak`, `${f(r.jobs.upload.idle_rss_mb)} MB idle`],
])}

## 10. Web app
${webMarkdown(r.web, rows)}

## 11. Protocol adapters
The same clips streamed at real time, at once, through the adapter and the native \`/ws/transcribe\` (the baseline). Final lag: when a final reached the client (Twilio: the webhook) minus when its audio ended.
${rows(['adapter', 'audio', 'words', 'WER', 'native WER', 'final lag ms', 'native final lag ms'], r.protocols.rows.map((p) => [p.protocol, `${p.input}, ${p.clips} clip(s)`, p.words, f(p.wer, 3), f(p.native_wer, 3), f(p.final_lag_ms), f(p.native_final_lag_ms)]))}

## 12. Engines
Targets, each beside its baseline from this run (sections 1 and 2 are the Worker host with the default batch settings):
${rows(['figure', 'value', 'baseline', 'target', ''], r.engines.targets.map((t) => [t.figure, t.value, t.baseline, t.target, t.met]))}

Sweeps (1x real time, ${r.concurrency[0]?.seconds_per_client} s per client; main thread = the server's event loop alone; engine RTF = engine time per audio second):
${r.engines.sweeps
  .map(
    (s) => `### ${s.model}, ${s.host} host, batch ${s.batch_size}: largest holding N ${s.largest_holding}
${rows(['clients', 'partial lag p50/p95 ms', 'first partial p95 ms', 'endpoint→final p95 ms', 'server CPU %', 'main thread CPU %', 'engine RTF', 'holds'], s.levels.map((l) => [l.clients, `${f(l.partial_lag_ms.p50)}/${f(l.partial_lag_ms.p95)}`, f(l.first_partial_lag_p95_ms), f(l.endpoint_to_final_ms.p95), f(l.server_cpu_pct), f(l.main_thread_cpu_pct), f(l.engine_rtf, 5), l.holds ? 'yes' : 'no']))}`,
  )
  .join('\n\n')}

## 13. Several nodes on PostgreSQL
${r.nodes.postgres}; every node its own process on this machine's ${r.machine.cores} cores.
${rows(['figure', 'SQLite, one node (baseline)', 'PostgreSQL, one node', 'PostgreSQL, two nodes'], [
  [`appends/s (${r.nodes.appends} single-event appends, every projection, 500 in flight per node)`, r.nodes.appends_per_s.sqlite_one_node, r.nodes.appends_per_s.postgres_one_node, r.nodes.appends_per_s.postgres_two_nodes],
  [`replay of ${r.nodes.replay.log_events} events, events/s`, `${r.nodes.replay.sqlite_rebuild_per_s} (projections rebuilt)`, `${r.nodes.replay.postgres_catch_up_per_s} (a new node catching up)`, ''],
  [`largest holding N, ${r.nodes.holding.model}`, r.nodes.holding.one_node_sqlite, r.nodes.holding.one_node_postgres, `${r.nodes.holding.two_nodes_postgres} (one worker each)`],
])}

\`bun run log copy\` moved the ${r.nodes.replay.log_events}-event log at ${r.nodes.replay.copy_per_s} events/s; its verification found the copy ${r.nodes.replay.copy_verified ? 'equal to' : 'DIFFERENT from'} the source.

## 14. Every sample heard
${r.fidelity.pacing.audio_s} s of audio sent at full speed took ${r.fidelity.pacing.full_speed_s} s under the shipped 4x budget; sent at real time (baseline) ${r.fidelity.pacing.real_time_s} s; transcripts ${r.fidelity.pacing.identical ? 'identical' : 'DIFFERENT'}.

${rows(['set', 'clips', 'WER, digital zeros after', 'WER, ±30 LSB after (baseline)', 'WER, file path', 'WER, streaming (baseline)'], r.fidelity.silence.map((s, i) => [s.set, s.clips, f(s.wer_digital, 3), f(s.wer_dithered, 3), f(r.fidelity.file_vs_streaming[i]!.wer_file, 3), f(r.fidelity.file_vs_streaming[i]!.wer_streaming, 3)]))}

${rows(['format', 'runs', 'distinct transcripts', 'WER'], r.fidelity.determinism.map((d) => [d.format, d.runs, d.distinct, f(d.wer, 3)]))}

A deaf client flooding 32 KiB frames, closed for one over the frame limit, put ${r.fidelity.flooder.mb_after_close} MB into its socket in the 3 s after; one that reads saw its connection end ${r.fidelity.flooder.close_to_teardown_ms} ms after the \`closed\` message.

${turnsMarkdown(r.turns)}

${formatMarkdown(r.format)}
${agentsMarkdown(r.agents)}`;
}

function d3(d: Distribution): string {
  return `${f(d.p50)}/${f(d.p90)}/${f(d.p95)}`;
}

/** The 10 real clips for turn latency: LibriSpeech and JFK (16 kHz), then telephone prompts (8 kHz). */
function realClips(n: number) {
  const sets = audioSets(join(shared!, 'audio'), 1000);
  const real = [...sets.get('librispeech/pcm16')!, ...sets.get('jfk/pcm16')!, ...sets.get('telephony/pcm16')!.slice(0, 2)];
  return n >= real.length ? real : [...real].sort((a, b) => a.audio.length / a.sampleRate - b.audio.length / b.sampleRate).slice(0, n);
}

/** Section 15: runs it, says its targets, and returns what the report keeps. */
async function turnsSection() {
  say('\n15. Turns: end of speech → final at real time (one stream, 20 ms frames), finalize, accuracy and split words, capacity on conversation vs continuous speech');
  const turnItems = realClips(plan.turnClips);
  const turnSets = new Map([...audioSets(join(shared!, 'audio'), plan.turnsPerSet)].filter(([key]) => !key.endsWith('/mulaw') && !key.endsWith('/alaw')));
  const trn = await turns({ clips: turnItems, sets: turnSets, tailMs: plan.turnTailMs, endpointing: plan.turnEndpointing, frameMs: 20, finalizeEveryMs: 1300 }, say);
  // Real read speech (16 kHz) for the capacity sweeps: back to back, or each clip followed by as long a pause.
  const speech = turnItems.filter((it) => it.sampleRate === 16000).map((it) => it.audio);
  const sweep = (gap: number | 'equal', query?: Record<string, string>) => concurrency(speech, plan.capacityLevels, plan.capacitySeconds, { VOXLOG_DEFAULT_MODEL: REAL }, plan.refine, [{}], { gap, query });
  say('   capacity sweeps: continuous speech, the same without the detector, conversation');
  const { raw: _c, ...continuous } = await sweep(0);
  const { raw: _b, ...continuousBaseline } = await sweep(0, BASELINE);
  const { raw: _v, ...conversation } = await sweep('equal');
  // The detector's cost at equal load, steadier than where two sweeps happen to stop: server CPU on
  // continuous speech with and without it, in turns, at 75 % of the smaller largest holding N.
  const costN = Math.max(2, Math.round(0.75 * Math.min(continuous.largest_holding, continuousBaseline.largest_holding)));
  const cpu = { with: [] as number[], without: [] as number[] };
  for (let r = 0; r < plan.costRounds; r++) {
    cpu.with.push((await atLevel(speech, costN, plan.capacitySeconds, { gap: 0 })).server_cpu_pct);
    cpu.without.push((await atLevel(speech, costN, plan.capacitySeconds, { gap: 0, query: BASELINE })).server_cpu_pct);
  }
  say(`   server CPU at N=${costN} on continuous speech, ${plan.costRounds} runs each: with the detector ${cpu.with.map((x) => x.toFixed(0)).join('/')} %, without ${cpu.without.map((x) => x.toFixed(0)).join('/')} %`);
  const loadN = Math.max(1, Math.round(0.75 * conversation.largest_holding));
  const atLoad = await atLevel(speech, loadN, plan.capacitySeconds, { gap: 'equal' });
  // What the report keeps of each sweep: continuous speech through the model's own rule may give no final in a short run.
  const held = (c: typeof continuous) => ({ seconds_per_client: c.seconds_per_client, largest_holding: c.largest_holding, levels: c.levels.map((l) => ({ clients: l.clients, partial_lag_p95_ms: l.partial_lag_ms.p95, server_cpu_pct: l.server_cpu_pct, holds: l.holds })) });
  const capacity = {
    continuous: held(continuous),
    continuous_baseline: held(continuousBaseline),
    conversation: { ...held(conversation), endpoint_to_final_p95_ms: conversation.levels.map((l) => l.endpoint_to_final_ms.p95) },
    at_load: { clients: loadN, endpoint_to_final_p95_ms: atLoad.endpoint_to_final_p95_ms, partial_lag_p95_ms: atLoad.partial_lag_ms.p95 },
    detector_cpu: { clients: costN, server_cpu_pct: cpu.with, server_cpu_pct_baseline: cpu.without },
  };
  const targets = turnsTargets(trn, capacity);
  for (const t of targets) say(`   ${t.figure}: ${t.value} | baseline ${t.baseline} | target ${t.target}: ${t.met}`);
  return { ...trn, capacity, targets };
}

type TurnsReport = Awaited<ReturnType<typeof turnsSection>>;

/** The largest holding N of conversation (finals formatted, the default), swept as section 15 sweeps it. */
async function conversationHolding(): Promise<number> {
  say('   sweeping conversation (half pauses) for its largest holding N');
  const speech = realClips(plan.turnClips).filter((it) => it.sampleRate === 16000).map((it) => it.audio);
  const c = await concurrency(speech, plan.capacityLevels, plan.capacitySeconds, { VOXLOG_DEFAULT_MODEL: REAL }, plan.refine, [{}], { gap: 'equal' });
  return Math.max(1, c.largest_holding);
}

/** Section 16: runs it at `clients` (the largest holding N of conversation), says its targets, and returns what the report keeps. */
async function formatSection(clients: number) {
  say(`\n16. Written transcripts: punctuation and case on held-out text and real recordings, numerals, and the cost of formatting a final at N=${clients}`);
  const sets = new Map([...audioSets(join(shared!, 'audio'), plan.formatPerSet)].filter(([key]) => key === 'jfk/pcm16' || key === 'telephony/pcm16'));
  const speech = realClips(plan.turnClips).filter((it) => it.sampleRate === 16000).map((it) => it.audio);
  const r = await formatBench({ heldOutWords: plan.heldOutWords, sets, costClients: clients, costSpeech: speech, costSeconds: plan.capacitySeconds, costRounds: plan.costRounds }, say);
  const targets = formatTargets(r);
  for (const t of targets) say(`   ${t.figure}: ${t.value} | baseline ${t.baseline} | target ${t.target}: ${t.met}`);
  return { ...r, targets };
}

type FormatReport = Awaited<ReturnType<typeof formatSection>>;

/** Section 16's targets, each with its baseline from the same run. */
function formatTargets(r: FormatResult): { figure: string; value: string; baseline: string; target: string; met: string }[] {
  const h = r.held_out;
  const out = [
    { figure: `held-out text, word case accuracy (${h.formatted.words} words)`, value: f(h.formatted.case_accuracy, 3), baseline: `${f(h.raw.case_accuracy, 3)} (lower case input)`, target: '≥ 0.97', met: yes(h.formatted.case_accuracy >= 0.97) },
    { figure: 'held-out text, sentence-break F1', value: f(h.formatted.sentence_break_f1, 3), baseline: f(h.raw.sentence_break_f1, 3), target: '≥ 0.80', met: yes(h.formatted.sentence_break_f1 >= 0.8) },
    { figure: 'held-out text, comma F1', value: f(h.formatted.comma_f1, 3), baseline: f(h.raw.comma_f1, 3), target: '≥ 0.60', met: yes(h.formatted.comma_f1 >= 0.6) },
    { figure: 'held-out text, question-mark F1', value: f(h.formatted.question_f1, 3), baseline: f(h.raw.question_f1, 3), target: 'reported', met: 'reported' },
  ];
  for (const s of r.recordings) {
    out.push({ figure: `${s.set} (${s.clips} clips), aligned words: case accuracy / sentence F1 / comma F1`, value: `${f(s.formatted.case_accuracy, 3)} / ${f(s.formatted.sentence_break_f1, 3)} / ${f(s.formatted.comma_f1, 3)} (${s.formatted.words} words)`, baseline: `raw ${f(s.raw.case_accuracy, 3)} / ${f(s.raw.sentence_break_f1, 3)} / ${f(s.raw.comma_f1, 3)}`, target: 'reported', met: 'reported' });
  }
  const n = r.numerals;
  out.push({ figure: `numerals: WER with digits significant, ${n.clips} telephone prompts with digits (${n.words} words)`, value: f(n.wer_on, 3), baseline: `${f(n.wer_off, 3)} without`, target: 'lower', met: yes(n.wer_on < n.wer_off) });
  for (const [i, c] of r.cost.entries()) {
    const where = i === 0 ? `at N=${c.clients}, the largest holding N of conversation` : `at N=${c.clients}, 75 % of it`;
    out.push({ figure: `time to write a final, p95 ${where}`, value: `${c.format_ms.p95_over ? '>' : '≤'} ${f(c.format_ms.p95_at_most, 1)} ms (mean ${f(c.format_ms.mean, 2)} ms, ${c.format_ms.finals} finals)`, baseline: `end of speech → final p95 ${f(c.endpoint_to_final_p95_ms)} ms with, ${f(c.endpoint_to_final_p95_ms_baseline)} ms without`, target: i === 0 ? '≤ 5 ms' : 'reported', met: i === 0 ? yes(!c.format_ms.p95_over && c.format_ms.p95_at_most <= 5) : 'reported' });
    const share = 1 - pct(c.server_cpu_pct_baseline, 50) / pct(c.server_cpu_pct, 50);
    out.push({ figure: `formatting's share of server CPU ${where} (median of ${c.server_cpu_pct.length})`, value: `${f(pct(c.server_cpu_pct, 50))} % CPU (${f(share * 100, 1)} % of capacity)`, baseline: `${f(pct(c.server_cpu_pct_baseline, 50))} % without`, target: i === 0 ? '≤ 3 % of capacity' : 'reported', met: i === 0 ? yes(share <= 0.03) : 'reported' });
  }
  out.push({ figure: 'punctuation model size and training time', value: `${f(r.model.bytes / 1e6, 2)} MB + ${f(r.model.vocab_bytes / 1e6, 2)} MB vocabulary; trained in ${f(r.model.train_seconds / 60, 1)} min on this class of CPU`, baseline: "sherpa-onnx's upstream English model: 7.5 MB", target: 'stated', met: 'stated' });
  return out;
}

function formatMarkdown(r: FormatReport): string {
  const s = (x: TextScores) => `${f(x.case_accuracy, 3)} | ${f(x.sentence_break_f1, 3)} | ${f(x.comma_f1, 3)} | ${f(x.question_f1, 3)}`;
  return `## 16. Written transcripts
Targets, each beside its baseline from this run (baseline: the raw text, as the recogniser gives it):
${rows(['figure', 'value', 'baseline', 'target', ''], r.targets.map((x) => [x.figure, x.value, x.baseline, x.target, x.met]))}

Punctuation and case. Held-out text is written as voxlog writes a file: 32-word pieces, each reading the 16 words either side. Recordings are streamed and written as live finals. Held out: ${r.held_out.source}. Recordings: the words of the output that the reference shares, by a minimum-edit alignment (a word the recogniser got wrong is not scored).
${rows(['text', 'words', 'case accuracy', 'sentence-break F1', 'comma F1', 'question F1'], [[`held out, formatted`, r.held_out.formatted.words, s(r.held_out.formatted)], ['held out, raw (lower case)', r.held_out.raw.words, s(r.held_out.raw)], ...r.recordings.flatMap((x) => [[`${x.set}, formatted`, x.formatted.words, s(x.formatted)], [`${x.set}, raw`, x.raw.words, s(x.raw)]])])}

Model: assets/punct-en/model.onnx, ${r.model.bytes} bytes, with a ${r.model.vocab_bytes}-byte vocabulary; trained by training/punct/train.py in ${r.model.train_seconds} s on ${Object.entries(r.model.trained_on).map(([k, v]) => `${k} (${v})`).join(' and ')}. Writing 32 words takes ${f(r.held_out.ms_per_32_words, 2)} ms on one thread here.
`;
}

/** Section 17: runs it and says its figures (each protocol beside the native one, in the same run). */
async function agentsSection(): Promise<AgentsResult> {
  say('\n17. Voice-agent protocols: the same clips at real time through each adapter and the native protocol; turns at a pause inside a phrase');
  const sets = audioSets(join(shared!, 'audio'), 1000);
  const clips = [...sets.get('librispeech/pcm16')!, ...sets.get('jfk/pcm16')!].filter((c) => c.sampleRate === 16000);
  const picked = clips.length > plan.agentClips ? [...clips].sort((a, b) => a.audio.length - b.audio.length).slice(0, plan.agentClips) : clips;
  const r = await agents({ clips: picked, tailMs: 6000, calibrationSets: ['librispeech', 'jfk', 'telephony', 'synthetic'] }, say);
  for (const x of r.rows) say(`   ${x.protocol.padEnd(10)} ${x.clips} clip(s), ${x.words} words: WER ${f(x.wer, 3)}, end of speech → end of turn p50/p90/max ${f(x.end_of_speech_ms.p50)}/${f(x.end_of_speech_ms.p90)}/${f(x.end_of_speech_ms.max)} ms`);
  for (const p of r.pauses) say(`   700 ms pause inside a phrase, ${p.setting}: ended the turn there in ${p.ended_at_pause} of ${p.clips} clip(s); end of speech → end of turn p50/p90 ${f(p.end_of_speech_ms.p50)}/${f(p.end_of_speech_ms.p90)} ms`);
  const c = r.calibration;
  say(`   turn confidence: sentence-end probability at ${c.mids} unmarked word boundaries p50/p75/p90/p95/p99 ${Object.values(c.mid_quantiles).join('/')}; ${c.shares.map((s) => `≥ ${s.confidence}: ${f(s.ends_above * 100)} % of ${c.ends} ends, ${f(s.mids_above * 100)} % of boundaries`).join('; ')}`);
  return r;
}

function agentsMarkdown(r: AgentsResult): string {
  const c = r.calibration;
  return `## 17. Voice-agent protocols
The same clips at real time, all protocols at once, each followed by 6 s of silence. End of speech: the clip's last word's end as the native protocol times it; the figure is the arrival of the message that ends the clip's last turn (native: its final; AssemblyAI: the formatted end-of-turn Turn; Flux: EndOfTurn; OpenAI: the item's completed transcript; vosk: its result, sent with the answer to the next frame; sherpa: the is_final result). Baseline: the native row.
${rows(['protocol', 'clips', 'words', 'WER', 'end of speech → end of turn p50/p90/max ms'], r.rows.map((x) => [x.protocol, x.clips, x.words, f(x.wer, 3), `${f(x.end_of_speech_ms.p50)}/${f(x.end_of_speech_ms.p90)}/${f(x.end_of_speech_ms.max)}`]))}

Each clip again with 700 ms of silence inserted inside a phrase (after the written word nearest its middle that carries no mark): turns ended at that pause. Baseline: the native final, which every pause of 200 ms ends.
${rows(['setting', 'clips', 'ended at the pause', 'end of speech → end of turn p50/p90 ms'], r.pauses.map((p) => [p.setting, p.clips, p.ended_at_pause, `${f(p.end_of_speech_ms.p50)}/${f(p.end_of_speech_ms.p90)}`]))}

Turn confidence (src/format/formatter.ts turnConfidence): the formatter's sentence-end probability at the ends of ${c.ends} references and at ${c.mids} word boundaries inside them that carry no mark; the boundaries' quantiles are its table. Share at or above each confidence:
${rows(['confidence', 'reference ends', 'inner boundaries'], c.shares.map((s) => [s.confidence, f(s.ends_above, 3), f(s.mids_above, 3)]))}
Inner-boundary quantiles: ${Object.entries(c.mid_quantiles).map(([k, v]) => `${k} ${v}`).join(', ')}.
`;
}

function turnsMarkdown(t: TurnsReport): string {
  return `## 15. Turns
Targets, each beside its baseline from this run (baseline: \`vad=false\`, every sample decoded and segments ended by the model's own rule of 1.2 s of trailing blanks, as before):
${rows(['figure', 'value', 'baseline', 'target', ''], t.targets.map((x) => [x.figure, x.value, x.baseline, x.target, x.met]))}

End of speech → final, ${t.clips} real clips one at a time at real time in ${t.frame_ms} ms frames (from the end of speech: the clip's last word's end as the default model times it in one whole decode, the same instant for every row; from the clip's last sample):
${rows(['setting', 'silence after', 'from last word p50/p90/p95 ms', 'from clip end p50/p90/p95 ms', 'first partial from first word p50/p90 ms'], t.latency.map((l) => [l.setting, l.silence, d3(l.from_last_word_ms), d3(l.from_clip_end_ms), `${f(l.first_partial_ms.p50)}/${f(l.first_partial_ms.p90)}`]))}

Accuracy and segments, every clip of each set at full speed (split words: a segment end that lies in sound, inside a word of the other decode):
${rows(['set', 'clips', 'words', 'WER', 'WER baseline', 'segments', 'segments baseline', 'split words', 'split words baseline'], t.accuracy.map((a) => [a.set, a.clips, a.words, f(a.wer, 3), f(a.wer_baseline, 3), a.segments, a.segments_baseline, a.words_split, a.words_split_baseline]))}

Capacity (${t.capacity.continuous.seconds_per_client} s per client of real read speech, largest N holding p95 partial lag < 500 ms): continuous speech ${t.capacity.continuous.largest_holding}, the same without voice activity (baseline) ${t.capacity.continuous_baseline.largest_holding}, conversation (half pauses) ${t.capacity.conversation.largest_holding}. Server CPU on continuous speech at N=${t.capacity.detector_cpu.clients}, with and without the detector in turns: ${t.capacity.detector_cpu.server_cpu_pct.map((x) => f(x)).join(', ')} % with, ${t.capacity.detector_cpu.server_cpu_pct_baseline.map((x) => f(x)).join(', ')} % without.
${rows(['clients', 'continuous p95 lag ms / holds', 'without the detector', 'conversation'], [...new Set([t.capacity.continuous, t.capacity.continuous_baseline, t.capacity.conversation].flatMap((c) => c.levels.map((l) => l.clients)))].sort((a, b) => a - b).map((n) => [n, ...[t.capacity.continuous, t.capacity.continuous_baseline, t.capacity.conversation].map((c) => { const l = c.levels.find((x) => x.clients === n); return l ? `${f(l.partial_lag_p95_ms)} ${l.holds ? 'yes' : 'no'}` : ''; })]))}
`;
}

/** Section 15's targets, each with its baseline from the same run. */
function turnsTargets(trn: TurnsResult, capacity: { continuous: { largest_holding: number }; continuous_baseline: { largest_holding: number }; conversation: { largest_holding: number; levels: { clients: number }[]; endpoint_to_final_p95_ms: number[] }; at_load: { clients: number; endpoint_to_final_p95_ms: number }; detector_cpu: { clients: number; server_cpu_pct: number[]; server_cpu_pct_baseline: number[] } }): { figure: string; value: string; baseline: string; target: string; met: string }[] {
  const out: { figure: string; value: string; baseline: string; target: string; met: string }[] = [];
  const row = (setting: string, silence: string) => trn.latency.find((l) => l.setting === setting && l.silence === silence)!;
  for (const silence of ['noise', 'digital'] as const) {
    const on = row('default', silence).from_last_word_ms;
    const base = row('baseline (model rule)', silence).from_last_word_ms;
    out.push({ figure: `end of speech → final, default, ${silence} after`, value: `p50 ${f(on.p50)} / p90 ${f(on.p90)} ms`, baseline: `p50 ${f(base.p50)} / p90 ${f(base.p90)} ms`, target: 'p50 ≤ 300, p90 ≤ 450', met: yes(on.p50 <= 300 && on.p90 <= 450) });
  }
  for (const e of plan.turnEndpointing) {
    const on = row(`endpointing_ms=${e}`, 'noise').from_last_word_ms;
    out.push({ figure: `end of speech → final, endpointing_ms=${e}`, value: `p50 ${f(on.p50)} / p90 ${f(on.p90)} ms`, baseline: `default p50 ${f(row('default', 'noise').from_last_word_ms.p50)} ms`, target: `p50 ≤ ${e + 100}, p90 ≤ ${e + 250}`, met: yes(on.p50 <= e + 100 && on.p90 <= e + 250) });
  }
  const offline = row(OFFLINE_DEFAULT, 'noise').from_last_word_ms;
  const offlineBase = row(OFFLINE_BASELINE, 'noise').from_last_word_ms;
  out.push({ figure: 'end of speech → final, an offline model, default', value: `p50 ${f(offline.p50)} / p90 ${f(offline.p90)} ms`, baseline: `500 ms: p50 ${f(offlineBase.p50)} / p90 ${f(offlineBase.p90)} ms`, target: 'p50 ≤ 300, p90 ≤ 450', met: yes(offline.p50 <= 300 && offline.p90 <= 450) });
  const one = capacity.conversation.levels[0];
  out.push({ figure: `end of speech → final p95 at N=${capacity.at_load.clients} (75 % of the largest holding N, conversation)`, value: `${f(capacity.at_load.endpoint_to_final_p95_ms)} ms`, baseline: `${f(capacity.conversation.endpoint_to_final_p95_ms[0] ?? NaN)} ms at N=${one?.clients}`, target: '≤ 600 ms', met: yes(capacity.at_load.endpoint_to_final_p95_ms <= 600) });
  out.push({ figure: 'finalize → final', value: `p50 ${f(trn.finalize_ms.p50)} / p95 ${f(trn.finalize_ms.p95)} ms (n=${trn.finalize_ms.n})`, baseline: `p50 ${f(trn.finalize_baseline_ms.p50)} / p95 ${f(trn.finalize_baseline_ms.p95)} ms`, target: 'p95 ≤ 60', met: yes(trn.finalize_ms.p95 <= 60) });
  for (const a of trn.accuracy) out.push({ figure: `WER ${a.set}`, value: f(a.wer, 3), baseline: f(a.wer_baseline, 3), target: 'no worse', met: yes(a.wer <= a.wer_baseline) });
  const split = trn.accuracy.reduce((n, a) => n + a.words_split, 0);
  out.push({ figure: 'segment ends inside a word, every set', value: String(split), baseline: String(trn.accuracy.reduce((n, a) => n + a.words_split_baseline, 0)), target: '0', met: yes(split === 0) });
  const ratio = capacity.conversation.largest_holding / Math.max(1, capacity.continuous.largest_holding);
  out.push({ figure: 'largest holding N, conversation vs continuous speech', value: `${capacity.conversation.largest_holding} (${f(ratio, 2)}x)`, baseline: `continuous ${capacity.continuous.largest_holding}`, target: '≥ 1.5x', met: yes(ratio >= 1.5) });
  // The detector's cost is its share of server CPU at equal load (median of the paired runs): what it
  // would take of capacity were the server bound by CPU alone. Where the two sweeps stop moved more
  // between runs of the same code than that share; their largest N are given beside, as they came.
  const { clients, server_cpu_pct: on, server_cpu_pct_baseline: off } = capacity.detector_cpu;
  const cost = 1 - pct(off, 50) / pct(on, 50);
  out.push({ figure: `voice activity detection's cost on continuous speech (server CPU at N=${clients}, median of ${on.length})`, value: `${f(pct(on, 50))} % CPU (${f(Math.abs(cost) * 100, 1)} % of capacity ${cost >= 0 ? 'lost' : 'gained'}); sweep N ${capacity.continuous.largest_holding}`, baseline: `without it ${f(pct(off, 50))} % CPU; sweep N ${capacity.continuous_baseline.largest_holding}`, target: '≤ 10 % of capacity', met: yes(cost <= 0.1) });
  const first = row('default', 'noise').first_partial_ms;
  out.push({ figure: 'first partial after the first word', value: `p50 ${f(first.p50)} / p90 ${f(first.p90)} ms`, baseline: `the model's chunk: 320 ms; baseline p50 ${f(row('baseline (model rule)', 'noise').first_partial_ms.p50)} ms`, target: 'reported', met: 'reported' });
  return out;
}

/** Section 12's targets, each with its baseline from the same run. */
function engineTargets(e: EnginesResult): { figure: string; value: string; baseline: string; target: string; met: string }[] {
  const out: { figure: string; value: string; baseline: string; target: string; met: string }[] = [];
  for (const model of plan.engineOverheadModels) {
    const w = overheads.find((o) => o.model === model);
    const p = e.overhead_process.find((o) => o.model === model);
    if (w) out.push({ figure: `${model} server/direct RTF, Worker host`, value: `${f(w.ratio, 2)}x (server ${f(w.server_rtf, 4)})`, baseline: `direct ${f(w.direct_rtf, 4)}`, target: '≤ 1.05x', met: yes(w.ratio <= 1.05) });
    if (p) out.push({ figure: `${model} server/direct RTF, process host`, value: `${f(p.ratio, 2)}x (server ${f(p.server_rtf, 4)})`, baseline: `direct ${f(p.direct_rtf, 4)}`, target: '≤ 1.05x', met: yes(p.ratio <= 1.05) });
  }
  for (const c of concs) {
    const proc = e.sweeps.find((s) => s.model === c.model && s.host === 'process');
    out.push({ figure: `${c.model} largest holding N, Worker host`, value: `${c.largest_holding} (${f((c.largest_holding / c.ceiling_streams) * 100)} % of the ceiling)`, baseline: `one-stream direct ceiling ${f(c.ceiling_streams)}`, target: '≥ 100 %', met: yes(c.largest_holding >= c.ceiling_streams) });
    if (proc) {
      const cost = 1 - proc.largest_holding / Math.max(1, c.largest_holding);
      out.push({ figure: `${c.model} largest holding N, process host`, value: `${proc.largest_holding} (${f(cost * 100, 1)} % fewer)`, baseline: `Worker host ${c.largest_holding}`, target: '≤ 5 % fewer', met: yes(cost <= 0.05) });
    }
    const at = (n: number) => c.levels.find((l) => l.clients === n);
    const top = at(c.largest_holding);
    const one = c.levels[0];
    if (top && one) {
      out.push({ figure: `${c.model} first partial p95 at N=${top.clients} (from the audio completing its chunk)`, value: `${f(top.first_partial_lag_p95_ms)} ms`, baseline: `${f(one.first_partial_lag_p95_ms)} ms at N=${one.clients}`, target: '≤ 320 ms chunk + 50', met: yes(top.first_partial_lag_p95_ms <= 370) });
      out.push({ figure: `${c.model} endpoint→final p95 at N=${top.clients} (from the last word's end)`, value: `${f(top.endpoint_to_final_ms.p95)} ms`, baseline: `${f(one.endpoint_to_final_ms.p95)} ms at N=${one.clients}`, target: '≤ 600 ms (section 15)', met: yes(top.endpoint_to_final_ms.p95 <= 600) });
    }
  }
  const on = e.sweeps.find((s) => s.host === 'worker' && s.batch_size > 1);
  const off = e.sweeps.find((s) => s.host === 'worker' && s.batch_size === 1);
  if (on && off) {
    const ceiling = machine.cores / directRtf(on.model);
    const rtf = (s: EngineSweep) => s.levels.find((l) => l.clients === s.levels[0]!.clients)!.engine_rtf;
    out.push({ figure: `${on.model} largest holding N, batch ${on.batch_size}`, value: `${on.largest_holding} (${f((on.largest_holding / ceiling) * 100)} % of the ceiling)`, baseline: `batch 1: ${off.largest_holding}; one-stream direct ceiling ${f(ceiling)}`, target: '≥ 150 % of the ceiling', met: yes(on.largest_holding >= 1.5 * ceiling) });
    out.push({ figure: `${on.model} engine time per audio second at N=${on.levels[0]!.clients}, batch ${on.batch_size}`, value: f(rtf(on), 5), baseline: `batch 1: ${f(rtf(off), 5)}`, target: 'lower', met: yes(rtf(on) < rtf(off)) });
  }
  for (const r of e.restart) out.push({ figure: `kill → session's next result, ${r.host} host (${r.kills} kills)`, value: `p50 ${f(r.resume_ms.p50)} ms, max ${f(r.resume_ms.max)} ms`, baseline: `kill → engine ready p50 ${f(r.down_ms)} ms`, target: '< 1000 ms', met: yes(r.resume_ms.max < 1000) });
  return out;
}

function webMarkdown(w: WebResult, rows: (head: string[], body: (string | number)[][]) => string): string {
  if ('skipped' in w) return `Skipped: ${w.skipped}`;
  const l = w.live;
  return rows(['figure', 'the web app', 'baseline in the same run'], [
    ['bundle (main.js, main.css, worklet.js)', `${f(w.bundle.bytes / 1e3, 1)} kB (built in ${f(w.bundle.build_ms)} ms)`, `${f(w.bundle.gzip_bytes / 1e3, 1)} kB as sent gzipped`],
    ['GET /ui/main.js', `${f(w.first_request.bundling_ms)} ms on a fresh server (bundled then)`, `${f(w.first_request.cached_ms, 1)} ms again`],
    ['/live in Chromium until Record is enabled', `${f(w.page_load.cold_ms)} ms, first page of a fresh server`, `${f(w.page_load.warm_ms)} ms again`],
    [`WER, ${l.clips} LibriSpeech clip(s), ${l.words} words`, `${f(l.page_wer, 3)} through the page's microphone`, `${f(l.native_wer, 3)} native client at real time`],
    ['server final latency (mean)', `${f(l.page_final_latency_ms)} ms`, `${f(l.native_final_latency_ms)} ms`],
  ]);
}
