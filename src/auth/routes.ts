import { Elysia, t } from 'elysia';
import { ForbiddenError, UnauthorizedError, ValidationError } from '../errors';
import { callerOf, remembered } from './principal';
import type { TokenIssuer } from './tokens';
import { MIN_PASSWORD, type Users } from './users';

export const UserSchema = t.Object({
  id: t.String(),
  name: t.String(),
  role: t.Union([t.Literal('admin'), t.Literal('user')]),
  disabled: t.Boolean(),
  created_at: t.String({ format: 'date-time' }),
});
export const KeySchema = t.Object({
  id: t.String(),
  user_id: t.String(),
  name: t.String(),
  scopes: t.Array(t.String()),
  created_at: t.String({ format: 'date-time' }),
  revoked_at: t.Union([t.String({ format: 'date-time' }), t.Null()]),
  last_used_at: t.Union([t.String({ format: 'date-time' }), t.Null()]),
});
export const Name = t.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$', error: 'name must be 1 to 64 letters, digits or . _ @ -' });
export const Password = t.String({ minLength: MIN_PASSWORD, maxLength: 1024, error: `password must be ${MIN_PASSWORD} to 1024 characters` });
const Scope = t.Union([t.Literal('all'), t.Literal('metrics')], { error: 'scopes are all or metrics' });

/** Sign-in (OAuth2 password form), registration when allowed, the caller's own identity and API keys. */
export const authRoutes = (users: Users, tokens: TokenIssuer, allowRegistration: boolean) =>
  new Elysia({ name: 'auth', prefix: '/api/v1/auth' })
    .post(
      '/token',
      async ({ body }) => {
        if (body.grant_type !== undefined && body.grant_type !== 'password') throw new ValidationError('grant_type must be password', 'unsupported_grant_type');
        const user = await users.signIn(body.username, body.password);
        if (!user) throw new UnauthorizedError('wrong user name or password, or the user is disabled', 'invalid_credentials');
        return tokens.issue(user.id, user.name);
      },
      {
        body: t.Object({ username: t.String({ maxLength: 64 }), password: t.String({ maxLength: 1024 }), grant_type: t.Optional(t.String()), scope: t.Optional(t.String()) }),
        response: t.Object({ access_token: t.String(), token_type: t.Literal('bearer'), expires_in: t.Integer() }),
        detail: { summary: 'Sign in: exchange a user name and password (OAuth2 password form) for a JWT access token', tags: ['auth'], security: [] },
      },
    )
    .post(
      '/register',
      async ({ body, set }) => {
        if (!allowRegistration) throw new ForbiddenError('registration is closed (VOXLOG_ALLOW_REGISTRATION); ask an admin for an account', 'registration_closed');
        set.status = 201;
        return users.create(body.name, body.password, 'user');
      },
      {
        body: t.Object({ name: Name, password: Password }),
        response: { 201: UserSchema },
        detail: { summary: 'Create an account (only when VOXLOG_ALLOW_REGISTRATION is on)', tags: ['auth'], security: [] },
      },
    )
    .get(
      '/me',
      ({ request }) => {
        const p = remembered(request);
        return { user_id: p.userId, name: p.name, role: p.role, via: p.via, scopes: [...p.scopes] };
      },
      {
        response: t.Object({ user_id: t.Union([t.String(), t.Null()]), name: t.String(), role: t.String(), via: t.String(), scopes: t.Array(t.String()) }),
        detail: { summary: 'Who the credential presented belongs to (with none: role anonymous when auth is on; 401 for a bad one)', tags: ['auth'] },
      },
    )
    .post(
      '/keys',
      async ({ request, body, set }) => {
        const p = callerOf(request);
        if (p.userId === null) throw new ValidationError('auth is off (VOXLOG_AUTH), so there is no user to own a key', 'auth_off');
        if (p.via === 'api_key') throw new ForbiddenError('an API key cannot create keys; sign in with a password', 'key_cannot_create_keys');
        const { key, row } = await users.createKey(p.userId, body.name, body.scopes ?? ['all']);
        set.status = 201;
        return { ...row, key };
      },
      {
        body: t.Object({ name: t.String({ minLength: 1, maxLength: 100, error: 'name must be 1 to 100 characters' }), scopes: t.Optional(t.Array(Scope, { minItems: 1, maxItems: 2 })) }),
        response: { 201: t.Object({ ...KeySchema.properties, key: t.String({ description: 'shown this once; only its hash is kept' }) }) },
        detail: { summary: 'Create an API key for machines (the key is shown once)', tags: ['auth'] },
      },
    )
    .get('/keys', ({ request }) => ({ keys: users.keys(callerOf(request).userId ?? '') }), {
      response: t.Object({ keys: t.Array(KeySchema) }),
      detail: { summary: "The caller's API keys (never the keys themselves)", tags: ['auth'] },
    })
    .delete('/keys/:id', ({ request, params }) => users.revokeKey(params.id, callerOf(request)), {
      params: t.Object({ id: t.String({ maxLength: 64 }) }),
      response: KeySchema,
      detail: { summary: 'Revoke an API key (your own; an admin may revoke any)', tags: ['auth'] },
    });
