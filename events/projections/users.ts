import { sql, type Projection } from '../projection';

/** Users and their API keys: what sign-in, key checks and the admin routes read. */
export const usersProjection: Projection = {
  name: 'users',
  version: 1,
  canHandle: ['UserCreated', 'UserRoleChanged', 'UserDisabled', 'ApiKeyCreated', 'ApiKeyRevoked', 'ApiKeyUsed'],
  tables: ['api_keys', 'users'],
  init: `
    CREATE TABLE IF NOT EXISTS users (
      id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, password_hash TEXT NOT NULL,
      disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS api_keys (
      id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, key_hash TEXT NOT NULL,
      scopes TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT, last_used_at TEXT);
    CREATE INDEX IF NOT EXISTS api_keys_by_user ON api_keys (user_id, created_at);`,
  evolve(event) {
    switch (event.type) {
      case 'UserCreated':
        return [
          sql(
            `INSERT INTO users (id, name, role, password_hash, created_at) VALUES ($id, $name, $role, $hash, $at) ON CONFLICT (id) DO NOTHING`,
            { id: event.data.user_id, name: event.data.name, role: event.data.role, hash: event.data.password_hash, at: event.createdAt },
          ),
        ];
      case 'UserRoleChanged':
        return [sql('UPDATE users SET role = $role WHERE id = $id', { id: event.data.user_id, role: event.data.role })];
      case 'UserDisabled':
        return [sql('UPDATE users SET disabled = $disabled WHERE id = $id', { id: event.data.user_id, disabled: event.data.disabled ? 1 : 0 })];
      case 'ApiKeyCreated':
        return [
          sql(
            `INSERT INTO api_keys (id, user_id, name, key_hash, scopes, created_at) VALUES ($id, $user_id, $name, $hash, $scopes, $at) ON CONFLICT (id) DO NOTHING`,
            { id: event.data.key_id, user_id: event.data.user_id, name: event.data.name, hash: event.data.key_hash, scopes: JSON.stringify(event.data.scopes), at: event.createdAt },
          ),
        ];
      case 'ApiKeyRevoked':
        return [sql('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $at) WHERE id = $id', { id: event.data.key_id, at: event.createdAt })];
      case 'ApiKeyUsed':
        return [sql('UPDATE api_keys SET last_used_at = MAX(COALESCE(last_used_at, \'\'), $at) WHERE id = $id', { id: event.data.key_id, at: event.createdAt })];
      default:
        return [];
    }
  },
};
