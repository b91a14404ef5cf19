import type { Database } from 'bun:sqlite';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { newKeyId, newUserId, userStream } from '../../events/ids';
import type { EventStore } from '../../events/store';
import { event } from '../../events/types';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import type { Principal, Role } from './principal';

export interface UserRow {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly disabled: boolean;
  readonly created_at: string;
}

export interface KeyRow {
  readonly id: string;
  readonly user_id: string;
  readonly name: string;
  readonly scopes: string[];
  readonly created_at: string;
  readonly revoked_at: string | null;
  readonly last_used_at: string | null;
}

/** API keys look like `vox_<key id>_<secret>`: the id finds the row, the hash of the whole key proves it. */
const KEY_PATTERN = /^vox_([0-9a-z]{16})_([A-Za-z0-9_-]{43})$/;
const NAME_PATTERN = /^[A-Za-z0-9_.@-]{1,64}$/;
export const MIN_PASSWORD = 8;
/** A key's last-used time is logged at most this often (a busy key would otherwise log on every request). */
const KEY_USE_EVERY_MS = 5 * 60_000;

const sha256 = (s: string): string => new Bun.CryptoHasher('sha256').update(s).digest('hex');
const USER_COLUMNS = 'id, name, role, disabled = 1 AS disabled, created_at';
type Raw<T> = Omit<T, 'disabled' | 'scopes'> & { disabled?: number; scopes?: string };

/** Users and API keys: commands append to `user-<id>` streams; reads come from the users projection. */
export class Users {
  private readonly keyUses = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly store: Pick<EventStore, 'append'>,
    private readonly now: () => number = Date.now,
  ) {}

  count(): number {
    return (this.db.query('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }

  list(): UserRow[] {
    return (this.db.query(`SELECT ${USER_COLUMNS} FROM users ORDER BY created_at, name`).all() as Raw<UserRow>[]).map(toUser);
  }

  byId(id: string): UserRow | null {
    const row = this.db.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`).get(id) as Raw<UserRow> | null;
    return row ? toUser(row) : null;
  }

  async create(name: string, password: string, role: Role): Promise<UserRow> {
    if (!NAME_PATTERN.test(name)) throw new ValidationError('user name must be 1 to 64 letters, digits or . _ @ -', 'invalid_user_name');
    if (password.length < MIN_PASSWORD || password.length > 1024) throw new ValidationError(`password must be ${MIN_PASSWORD} to 1024 characters`, 'weak_password');
    if (this.db.query('SELECT 1 FROM users WHERE name = ?').get(name)) throw new ConflictError(`user ${name} already exists`, 'user_exists');
    const id = newUserId();
    const hash = await Bun.password.hash(password, { algorithm: 'argon2id' });
    await this.store.append(userStream(id), [event('UserCreated', { user_id: id, name, role, password_hash: hash }, { user_id: id })], { expectedVersion: 'no_stream' });
    return this.byId(id)!;
  }

  /** The enabled user with this name and password, or null (same answer for a wrong name or password). */
  async signIn(name: string, password: string): Promise<UserRow | null> {
    const row = this.db.query('SELECT id, password_hash FROM users WHERE name = ? AND disabled = 0').get(name) as { id: string; password_hash: string } | null;
    // Hash anyway for an unknown name, so response time does not reveal which names exist.
    const ok = await Bun.password.verify(password, row?.password_hash ?? DUMMY_HASH);
    return row && ok ? this.byId(row.id) : null;
  }

  async setRole(id: string, role: Role): Promise<UserRow> {
    this.mustExist(id);
    await this.store.append(userStream(id), [event('UserRoleChanged', { user_id: id, role }, { user_id: id })]);
    return this.byId(id)!;
  }

  async setDisabled(id: string, disabled: boolean): Promise<UserRow> {
    this.mustExist(id);
    await this.store.append(userStream(id), [event('UserDisabled', { user_id: id, disabled }, { user_id: id })]);
    return this.byId(id)!;
  }

  /** Creates a key; the key itself is returned this once and only its hash is kept. */
  async createKey(userId: string, name: string, scopes: readonly string[]): Promise<{ key: string; row: KeyRow }> {
    this.mustExist(userId);
    const id = newKeyId();
    const key = `vox_${id}_${randomBytes(32).toString('base64url')}`;
    await this.store.append(userStream(userId), [event('ApiKeyCreated', { key_id: id, user_id: userId, name, key_hash: sha256(key), scopes: [...scopes] }, { user_id: userId })]);
    return { key, row: this.key(id)! };
  }

  keys(userId: string | undefined): KeyRow[] {
    const where = userId === undefined ? '' : 'WHERE user_id = $user';
    const rows = this.db.query(`SELECT id, user_id, name, scopes, created_at, revoked_at, last_used_at FROM api_keys ${where} ORDER BY created_at`).all(userId === undefined ? {} : { user: userId }) as Raw<KeyRow>[];
    return rows.map(toKey);
  }

  key(id: string): KeyRow | null {
    const row = this.db.query('SELECT id, user_id, name, scopes, created_at, revoked_at, last_used_at FROM api_keys WHERE id = ?').get(id) as Raw<KeyRow> | null;
    return row ? toKey(row) : null;
  }

  /** Revokes a key the caller owns (an admin may revoke any). */
  async revokeKey(id: string, by: Principal): Promise<KeyRow> {
    const key = this.key(id);
    if (!key || (by.role !== 'admin' && key.user_id !== by.userId)) throw new NotFoundError(`no API key ${id}`);
    if (!key.revoked_at) await this.store.append(userStream(key.user_id), [event('ApiKeyRevoked', { key_id: id, user_id: key.user_id }, { user_id: key.user_id })]);
    return this.key(id)!;
  }

  /** The live key and its enabled user for a presented key string, or null. */
  checkKey(presented: string): { user: UserRow; key: KeyRow } | null {
    const m = KEY_PATTERN.exec(presented);
    if (!m) return null;
    const row = this.db.query('SELECT key_hash FROM api_keys WHERE id = ? AND revoked_at IS NULL').get(m[1]!) as { key_hash: string } | null;
    if (!row || !timingSafeEqual(Buffer.from(row.key_hash), Buffer.from(sha256(presented)))) return null;
    const key = this.key(m[1]!)!;
    const user = this.byId(key.user_id);
    if (!user || user.disabled) return null;
    this.noteUse(key);
    return { user, key };
  }

  private noteUse(key: KeyRow): void {
    const t = this.now();
    if (t - (this.keyUses.get(key.id) ?? 0) < KEY_USE_EVERY_MS) return;
    this.keyUses.set(key.id, t);
    this.store.append(userStream(key.user_id), [event('ApiKeyUsed', { key_id: key.id, user_id: key.user_id }, { user_id: key.user_id })]).catch(() => {
      // Only the last-used time is lost; the request itself is not refused for it.
      this.keyUses.delete(key.id);
    });
  }

  private mustExist(id: string): void {
    if (!this.byId(id)) throw new NotFoundError(`no user ${id}`, 'unknown_user');
  }
}

const DUMMY_HASH = await Bun.password.hash('not a real password', { algorithm: 'argon2id' });
const toUser = (r: Raw<UserRow>): UserRow => ({ ...r, disabled: r.disabled === 1 }) as UserRow;
const toKey = (r: Raw<KeyRow>): KeyRow => ({ ...r, scopes: JSON.parse(r.scopes ?? '[]') }) as KeyRow;
