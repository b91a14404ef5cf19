import { describe, expect, it } from 'bun:test';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS, PG_MIGRATIONS } from '../migrations';
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

  it('embeds every .sql file in migrations/, in name order (the binary has no migrations folder)', () => {
    const files = readdirSync(join(import.meta.dir, '../migrations')).filter((f) => f.endsWith('.sql')).sort();
    expect(MIGRATIONS.map((m) => m.name)).toEqual(files);
    const pgFiles = readdirSync(join(import.meta.dir, '../migrations/postgres')).filter((f) => f.endsWith('.sql')).sort();
    expect(PG_MIGRATIONS.map((m) => m.name)).toEqual(pgFiles);
    expect(MIGRATIONS.every((m) => m.sql.includes('CREATE'))).toBe(true);
  });
});
