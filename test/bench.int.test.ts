import { describe, expect, it } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('bun run bench --quick', () => {
  it('produces every figure of every section (timings are printed, never asserted)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'voxlog-bench-quick-'));
    try {
      const p = Bun.spawn(['bun', 'run', 'bench', '--quick', '--out', out], { cwd: join(import.meta.dir, '..'), stdout: 'pipe', stderr: 'pipe' });
      const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      if (code !== 0) console.error(stdout.slice(-3000), stderr.slice(-3000));
      expect(code).toBe(0);
      const report = JSON.parse(readFileSync(join(out, 'quick.json'), 'utf8'));
      expect(Object.keys(report)).toEqual(['machine', 'overhead', 'concurrency', 'event_log', 'memory', 'accuracy']);
      expect(report.overhead.transcripts_identical).toBe(true);
      expect(report.concurrency.levels.length).toBeGreaterThan(0);
      expect(report.accuracy.map((a: { set: string; input: string }) => `${a.set}/${a.input}`)).toContain('telephony/mulaw');
      expect(readFileSync(join(out, 'quick.md'), 'utf8')).toContain('## 6. Accuracy');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
