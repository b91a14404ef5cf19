import { t } from 'elysia';
import { ValidationError } from '../../errors';

/** A query field holding an instant: an ISO 8601 date or date-time. */
export const Instant = (name: string) => t.Optional(t.String({ minLength: 4, maxLength: 40, error: `${name} must be an ISO 8601 date or date-time, e.g. 2026-12-01 or 2026-12-01T09:00:00Z` }));

/** The instant as the log writes it (UTC ISO with milliseconds), so it compares as text with `created_at`. */
export function isoInstant(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) throw new ValidationError(`${name} ${JSON.stringify(value)} is not an ISO 8601 date or date-time`);
  return new Date(ms).toISOString();
}

/** Checks and converts a `since`/`until` pair; `since` must come first. */
export function timeWindow(since: string | undefined, until: string | undefined): { since?: string; until?: string } {
  const s = isoInstant(since, 'since');
  const u = isoInstant(until, 'until');
  if (s !== undefined && u !== undefined && s >= u) throw new ValidationError(`since (${s}) must be before until (${u})`);
  return { since: s, until: u };
}
