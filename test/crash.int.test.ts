import { describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crashCycle } from '../scripts/kill9';
import { freshDatabase } from '../scripts/postgres';

describe('kill -9 in the middle of heavy appending', () => {
  for (const store of ['sqlite', 'postgres'] as const) {
    it(`loses no acknowledged event, duplicates none, leaves no gap, and keeps projections equal to a rebuild (${store})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'voxlog-crash-'));
      const target = store === 'sqlite' ? join(dir, 'voxlog.sqlite') : await freshDatabase();
      try {
        let total = 0;
        for (const runMs of [400, 650, 900]) {
          const r = await crashCycle(target, runMs);
          expect(r.acknowledged).toBeGreaterThan(0);
          expect(r.stored).toBeGreaterThan(total);
          expect({ missing: r.missing, duplicated: r.duplicated, gaps: r.gaps, integrity: r.integrity, projectionsMatch: r.projectionsMatch }).toEqual({
            missing: 0,
            duplicated: 0,
            gaps: 0,
            integrity: 'ok',
            projectionsMatch: true,
          });
          total = r.stored;
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
