import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jwtVerify, SignJWT } from 'jose';

/** Only this algorithm is accepted: a token claiming `none` or an asymmetric algorithm is refused. */
const ALGORITHM = 'HS256';

/** Issues and checks the JWT access tokens `POST /api/v1/auth/token` hands out. */
export class TokenIssuer {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly minutes: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** A token for `userId`, valid for the configured minutes or, given, `seconds` (a temporary token for one streaming session). */
  async issue(userId: string, name: string, seconds = this.minutes * 60): Promise<{ access_token: string; token_type: 'bearer'; expires_in: number }> {
    const token = await new SignJWT({ name }).setProtectedHeader({ alg: ALGORITHM }).setSubject(userId).setIssuedAt().setExpirationTime(`${seconds}s`).sign(this.key);
    return { access_token: token, token_type: 'bearer', expires_in: seconds };
  }

  /** The user id a valid, unexpired token names, or a reason it is refused. */
  async verify(token: string): Promise<{ userId: string } | { problem: string }> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: [ALGORITHM], requiredClaims: ['exp'] });
      return payload.sub ? { userId: payload.sub } : { problem: 'the token names no user' };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') return { problem: 'the token has expired; sign in again' };
      // A token that never expires would be a password no one can change: it is refused.
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && (err as { claim?: string }).claim === 'exp') return { problem: 'the token has no expiry (exp); sign in for one that does' };
      return { problem: 'the token is not valid' };
    }
  }
}

/**
 * VOXLOG_SECRET_KEY, or a random key kept in the data directory (created once, readable by the owner
 * only), so tokens survive a restart without the operator having to invent a secret.
 */
export function secretKey(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const path = join(dataDir, 'secret.key');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const key = randomBytes(32).toString('hex');
  try {
    // Exclusive create: nodes sharing the files directory and starting together agree on one key.
    writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path, 'utf8').trim();
    throw err;
  }
  chmodSync(path, 0o600);
  return key;
}
