// Every migration, imported as text so `bun build --compile` embeds them in the binary.
// Add a new file here too: test/migrations.unit.test.ts fails when a .sql file is missing from this list.
import m001 from './001_events.sql' with { type: 'text' };
import m002 from './002_projection_versions.sql' with { type: 'text' };
import m003 from './003_event_owner.sql' with { type: 'text' };
import m004 from './004_health_probe.sql' with { type: 'text' };
import pg001 from './postgres/001_events.sql' with { type: 'text' };

export interface Migration {
  readonly name: string;
  readonly sql: string;
}

/** SQLite's, in the order they apply (the embedded log, and every node's local replica). */
export const MIGRATIONS: readonly Migration[] = [
  { name: '001_events.sql', sql: m001 },
  { name: '002_projection_versions.sql', sql: m002 },
  { name: '003_event_owner.sql', sql: m003 },
  { name: '004_health_probe.sql', sql: m004 },
];

/** PostgreSQL's (`migrations/postgres/`), in the order they apply. */
export const PG_MIGRATIONS: readonly Migration[] = [{ name: '001_events.sql', sql: pg001 }];
