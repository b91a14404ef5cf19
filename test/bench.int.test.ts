import { describe, expect, it } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PREFERRED_DEFAULT_MODEL } from '../models/catalog';

describe('bun run bench --quick', () => {
  it('produces every figure of every section (timings are printed, never asserted)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'voxlog-bench-quick-'));
    try {
      const p = Bun.spawn(['bun', 'run', 'bench', '--quick', '--out', out], { cwd: join(import.meta.dir, '..'), stdout: 'pipe', stderr: 'pipe' });
      const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      if (code !== 0) console.error(stdout.slice(-3000), stderr.slice(-3000));
      expect(code).toBe(0);
      const report = JSON.parse(readFileSync(join(out, 'quick.json'), 'utf8'));
      expect(Object.keys(report)).toEqual(['machine', 'overhead', 'concurrency', 'event_log', 'memory', 'accuracy', 'trust', 'dictation', 'jobs', 'web', 'protocols', 'engines', 'nodes', 'fidelity', 'turns', 'format', 'agents']);
      // Section 17: every voice-agent protocol beside the native one, and the pause-inside-a-phrase rows.
      expect(report.agents.rows.map((r: { protocol: string }) => r.protocol)).toEqual(['native', 'assemblyai', 'flux', 'openai', 'vosk', 'sherpa']);
      expect(report.agents.pauses.length).toBe(5);
      expect(readFileSync(join(out, 'quick.md'), 'utf8')).toContain('## 17. Voice-agent protocols');
      // The headline figures are on the real default model; the fixture is an extra row.
      expect(report.overhead.map((o: { model: string }) => o.model)).toEqual([PREFERRED_DEFAULT_MODEL, 'tiny-streaming-lstm-ctc-en']);
      for (const o of report.overhead) expect([o.model, o.transcripts_identical]).toEqual([o.model, true]);
      expect(report.concurrency[0].model).toBe(PREFERRED_DEFAULT_MODEL);
      expect(report.concurrency[0].levels.length).toBeGreaterThan(0);
      expect(report.accuracy.map((a: { model: string; set: string; input: string }) => `${a.model} ${a.set}/${a.input}`)).toContain(`${PREFERRED_DEFAULT_MODEL} telephony/mulaw`);
      expect(readFileSync(join(out, 'quick.md'), 'utf8')).toContain('## 6. Accuracy');
      expect(readFileSync(join(out, 'quick.md'), 'utf8')).toContain('## 7. Trust');
      expect(report.trust.sse.log_events).toBe(50_000);
      expect(readFileSync(join(out, 'quick.md'), 'utf8')).toContain('## 8. Dictation');
      expect(readFileSync(join(out, 'quick.md'), 'utf8')).toContain('## 9. Batch jobs');
      expect(readFileSync(join(out, 'quick.md'), 'utf8')).toContain('## 10. Web app');
      expect(report.web.live.page_wer).toBeLessThan(0.25);
      expect(report.jobs.long_file.chunks).toBeGreaterThanOrEqual(4);
      expect(readFileSync(join(out, 'quick.md'), 'utf8')).toContain('## 12. Engines');
      expect(report.engines.sweeps.map((s: { host: string; batch_size: number }) => `${s.host} ${s.batch_size}`)).toEqual(['process 1', 'worker 16', 'worker 1']);
      expect(report.engines.restart.map((r: { host: string }) => r.host)).toEqual(['worker', 'process']);
      expect(readFileSync(join(out, 'quick.md'), 'utf8')).toContain('## 13. Several nodes on PostgreSQL');
      expect(report.nodes.replay.copy_verified).toBe(true);
      expect(report.nodes.holding.two_nodes_postgres).toBeGreaterThan(0);
      expect(readFileSync(join(out, 'quick.md'), 'utf8')).toContain('## 14. Every sample heard');
      expect(report.fidelity.determinism.map((d: { format: string }) => d.format)).toEqual(['wav', 'm4a', 'mp3', 'ogg', 'flac']);
      expect(readFileSync(join(out, 'quick.md'), 'utf8')).toContain('## 15. Turns');
      expect(report.turns.latency.map((l: { setting: string; silence: string }) => `${l.setting} ${l.silence}`)).toEqual(['default noise', 'baseline (model rule) noise', 'default digital', 'baseline (model rule) digital', 'offline model (tiny-offline-bigru-ctc-en), default noise', 'offline model (tiny-offline-bigru-ctc-en), endpointing_ms=500 (its old default) noise']);
      expect(report.turns.targets.length).toBeGreaterThan(8);
      expect(readFileSync(join(out, 'quick.md'), 'utf8')).toContain('## 16. Written transcripts');
      expect(report.format.recordings.map((r: { set: string }) => r.set)).toEqual(['jfk/pcm16', 'telephony/pcm16']);
      expect(report.format.cost.length).toBe(2);
      expect(report.dictation.tts.map((t: { voice: string }) => t.voice)).toEqual(['flite:slt', 'flite:kal16', 'flite:rms', 'flite:awb', 'espeak-ng:en-us']);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 600_000);
});
