// Every migration, imported as text so `bun build --compile` embeds them in the binary.
// Add a new file here too: test/migrations.unit.test.ts fails when a .sql file is missing from this list.
import m001 from './001_events.sql' with { type: 'text' };
import m002 from './002_projection_versions.sql' with { type: 'text' };
import m003 from './003_event_owner.sql' with { type: 'text' };
import m004 from './004_health_probe.sql' with { type: 'text' };

export interface Migration {
  readonly name: string;
  readonly sql: string;
}

/** In the order they apply. */
export const MIGRATIONS: readonly Migration[] = [
  { name: '001_events.sql', sql: m001 },
  { name: '002_projection_versions.sql', sql: m002 },
  { name: '003_event_owner.sql', sql: m003 },
  { name: '004_health_probe.sql', sql: m004 },
];
