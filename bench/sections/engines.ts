// Section 12: the engines. Each figure beside its baseline in the same run: the process host's
// overhead and largest holding N beside the Worker host's (sections 1 and 2), batched decoding of
// the batchable fixture beside one-by-one decoding (VOXLOG_MAX_BATCH=1), and how long sessions wait
// after an engine is killed, for both hosts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/app';
import { LIFTED_LIMITS, loadConfig } from '../../src/config';
import type { ServerMessage } from '../../src/server/protocol';
import { consoleTo, pct } from '../lib/proc';
import { concurrency, programme, type LevelResult } from './concurrency';
import { overhead, type OverheadResult } from './overhead';

export interface EngineSweep {
  readonly model: string;
  readonly host: 'worker' | 'process';
  /** Streams per decode call the model's engine used (1: one by one). */
  readonly batch_size: number;
  readonly largest_holding: number;
  readonly levels: LevelResult[];
}

export interface RestartResult {
  readonly host: 'worker' | 'process';
  readonly kills: number;
  /** From the kill to the engine loaded again (EngineStarted.down_ms), median. */
  readonly down_ms: number;
  /** From the kill to the killed session's next partial or final at its client, median and worst. */
  readonly resume_ms: { p50: number; max: number };
}

export interface EnginesResult {
  readonly overhead_process: (OverheadResult & { model: string })[];
  readonly sweeps: EngineSweep[];
  readonly restart: RestartResult[];
}

export interface EnginesPlan {
  readonly overheadModels: string[];
  readonly overheadClips: Uint8Array<ArrayBuffer>[];
  readonly overheadRounds: number;
  /** Models swept on the process host (their Worker-host sweep is section 2's). */
  readonly processModels: string[];
  readonly realLevels: number[];
  readonly batchModel: string;
  readonly batchLevels: number[];
  readonly clips: Uint8Array[];
  readonly seconds: number;
  readonly restartModel: string;
  readonly kills: number;
  readonly refine: boolean;
}

export async function engines(plan: EnginesPlan, say: (s: string) => void): Promise<EnginesResult> {
  const overheadProcess: (OverheadResult & { model: string })[] = [];
  for (const model of plan.overheadModels) overheadProcess.push({ model, ...(await overhead(model, plan.overheadClips, { VOXLOG_ENGINE_HOST: 'process' }, plan.overheadRounds)) });
  const sweeps: EngineSweep[] = [];
  const sweep = async (model: string, host: 'worker' | 'process', batch: number, levels: number[]) => {
    const env = { VOXLOG_DEFAULT_MODEL: model, VOXLOG_ENGINE_HOST: host, VOXLOG_MAX_BATCH: String(batch) };
    const { largest_holding, levels: ran } = await concurrency(plan.clips, levels, plan.seconds, env, plan.refine);
    sweeps.push({ model, host, batch_size: batch, largest_holding, levels: ran });
    say(`   swept ${model} on the ${host} host, batch ${batch}: largest holding N ${largest_holding}`);
  };
  for (const model of plan.processModels) await sweep(model, 'process', 1, plan.realLevels);
  await sweep(plan.batchModel, 'worker', 16, plan.batchLevels);
  await sweep(plan.batchModel, 'worker', 1, plan.batchLevels);
  // These servers run in this process (to reach their engines): their log lines go to a file.
  const serverLog = join(tmpdir(), `voxlog-bench-restart-${process.pid}.log`);
  const restart = await consoleTo(serverLog, async () => [await restartAfterKill('worker', plan), await restartAfterKill('process', plan)]);
  say(`   (the kill tests' server output: ${serverLog})`);
  return { overhead_process: overheadProcess, sweeps, restart };
}

/**
 * A session streams at real time while its engine is killed (`kill -9` of the engine process, or
 * the Worker made to exit as a crash does) `kills` times; in-process, to reach the engine.
 */
async function restartAfterKill(host: 'worker' | 'process', plan: EnginesPlan): Promise<RestartResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'voxlog-bench-restart-'));
  const config = loadConfig({ ...process.env, ...LIFTED_LIMITS, PORT: '0', HOST: '127.0.0.1', VOXLOG_DATA_DIR: dataDir, VOXLOG_ENGINE_HOST: host, VOXLOG_WORKERS_PER_MODEL: '1', VOXLOG_DEFAULT_MODEL: plan.restartModel });
  const server = await startServer(config);
  const resumes: number[] = [];
  let downs: number[] = [];
  try {
    const engine = await server.registry.acquire(plan.restartModel);
    const audio = programme(plan.clips, 0, 4 + plan.kills * 4);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws/transcribe`);
    let sessionId = '';
    let killedAt = 0;
    const resumed: (() => void)[] = [];
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as ServerMessage;
      if (m.type === 'ready') sessionId = m.session_id;
      if ((m.type === 'partial' || m.type === 'final') && killedAt > 0 && resumed.length > 0) {
        resumes.push(performance.now() - killedAt);
        killedAt = 0;
        resumed.shift()!();
      }
    };
    await new Promise((r) => (ws.onopen = r));
    const t0 = performance.now();
    const sending = (async () => {
      for (let i = 0; i * 3200 < audio.length; i++) {
        const wait = t0 + (i + 1) * 100 - performance.now();
        if (wait > 0) await Bun.sleep(wait);
        ws.send(audio.subarray(i * 3200, (i + 1) * 3200));
      }
    })();
    for (let k = 0; k < plan.kills; k++) {
      await Bun.sleep(k === 0 ? 3000 : 2500);
      const next = new Promise<void>((r) => resumed.push(r));
      killedAt = performance.now();
      if (host === 'process') process.kill(engine.pidOf(sessionId)!, 'SIGKILL');
      else engine.crashWorker(sessionId);
      await Promise.race([next, Bun.sleep(10_000)]);
    }
    await sending;
    ws.close();
    downs = server.store.readStream(`engine-${plan.restartModel}`).flatMap((e) => (e.type === 'EngineStarted' && e.data.restarts > 0 ? [e.data.down_ms] : []));
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { host, kills: plan.kills, down_ms: pct(downs, 50), resume_ms: { p50: pct(resumes, 50), max: Math.max(...resumes) } };
}
