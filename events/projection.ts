import type { EventType, RecordedEvent } from './types';

/** One SQL statement a projection wants run; the store runs it inside the append's transaction. */
export type SqlValue = string | number | bigint | boolean | null;

export interface SqlStatement {
  readonly sql: string;
  readonly params: Record<string, SqlValue>;
}

/** A read model built from the log: pure `evolve`, idempotent statements, rebuilt on version bumps. */
export interface Projection {
  readonly name: string;
  readonly version: number;
  readonly canHandle: readonly EventType[];
  /** Tables this projection owns, in the order they can be dropped and recreated. */
  readonly tables: readonly string[];
  /** DDL that creates the tables (used on rebuild into fresh tables). */
  readonly init: string;
  readonly evolve: (event: RecordedEvent) => readonly SqlStatement[];
}

export const sql = (text: string, params: Record<string, SqlValue> = {}): SqlStatement => ({ sql: text, params });
