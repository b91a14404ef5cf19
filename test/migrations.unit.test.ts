import { describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDatabase } from '../src/db';

describe('migrations', () => {
  it('apply once to a WAL-mode file and record themselves; a second start applies nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'voxlog-mig-'));
    try {
      const path = join(dir, 'v.sqlite');
      const first = openDatabase(path, 'FULL');
      expect(migrate(first).length).toBeGreaterThan(1);
      expect(first.query('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      expect(first.query('PRAGMA synchronous').get()).toEqual({ synchronous: 2 });
      first.close();
      const second = openDatabase(path, 'NORMAL');
      expect(migrate(second)).toEqual([]);
      second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
