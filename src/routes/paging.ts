import { t } from 'elysia';

/** Beyond this an offset can only be a mistake (and past 2^63 SQLite cannot even compare it). */
export const MAX_OFFSET = 1_000_000_000;

/** `limit` / `offset` query fields shared by every list route. */
export const pageQuery = {
  limit: t.Integer({ minimum: 1, maximum: 500, default: 50, error: 'limit must be an integer from 1 to 500' }),
  offset: t.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0, error: `offset must be an integer from 0 to ${MAX_OFFSET}` }),
};

/** A required id-like field, its error naming it. */
export const idField = (name: string, max = 200) => t.String({ minLength: 1, maxLength: max, error: `${name} must be 1 to ${max} characters` });

/** An optional filter on an id-like column. */
export const idFilter = (name: string, max = 200) => t.Optional(idField(name, max));

/** `{ id }` path parameters of a resource (`what id must be 1 to 64 characters`). */
export const idParams = (what: string) => t.Object({ id: idField(`${what} id`, 64) });

/** Builds `WHERE a = $a AND ...` from the filters that are set. */
export function whereEquals(filters: Record<string, string | undefined>): { clause: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const parts: string[] = [];
  for (const [column, value] of Object.entries(filters)) {
    if (value === undefined) continue;
    parts.push(`${column} = $${column}`);
    params[column] = value;
  }
  return { clause: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', params };
}
