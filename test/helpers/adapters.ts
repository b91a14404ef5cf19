// What the protocol adapters' tests share: a server with auth on and an API key, the clips every
// adapter is measured on, and the native protocol's transcript of the same audio to compare with.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIO_DIR, loadClip, references } from './audio';
import { jsonClient, signIn } from './http';
import { finals, startTestServer, stream, type TestServer } from './server';

export interface AuthedServer {
  readonly server: TestServer;
  /** An API key of user `caller` (role user). */
  readonly key: string;
  /** An admin's access token. */
  readonly admin: string;
  readonly userId: string;
  /** The key's user's access token (to manage the key). */
  readonly token: string;
}

/** The real default model, auth on, and a user with an API key (what a deployed client holds). */
export async function startAuthedServer(env: Record<string, string> = {}): Promise<AuthedServer> {
  const server = await startTestServer({ VOXLOG_DEFAULT_MODEL: '', VOXLOG_AUTH: 'on', VOXLOG_ADMIN_PASSWORD: 'admin-password-1', ...env });
  const admin = await signIn(server.url, 'admin', 'admin-password-1', server.tls);
  const call = jsonClient(server.url, admin, server.tls);
  const user = await call('POST', '/api/v1/admin/users', { name: 'caller', password: 'caller-password-1', role: 'user' });
  const token = await signIn(server.url, 'caller', 'caller-password-1', server.tls);
  const created = await jsonClient(server.url, token, server.tls)('POST', '/api/v1/auth/keys', { name: 'adapter' });
  return { server, key: created.body.key, admin, userId: user.body.id, token };
}

/** LibriSpeech clip 1089-134686-0000 at 16 kHz: what every adapter is checked on. */
export const librispeech = () => loadClip('librispeech', '1089-134686-0000.wav');

/** A telephony prompt as the headerless μ-law bytes a phone bridge sends (8 kHz), with its reference. */
export function telephonyMulaw(stem = 'demo-congrats'): { bytes: Uint8Array; reference: string } {
  return { bytes: new Uint8Array(readFileSync(join(AUDIO_DIR, 'telephony', 'mulaw', `${stem}.ulaw`))), reference: references('telephony').get(stem)! };
}

/** The native protocol's transcript of the same audio (`/ws/transcribe`): written text by default, the model's capitals with `format: 'false'`. */
export async function nativeTranscript(server: TestServer, key: string, audio: Uint8Array<ArrayBuffer>, query: Record<string, string> = {}): Promise<string> {
  const out = await stream(server.wsUrl({ ...query, token: key }), audio, query.encoding === 'mulaw' ? 800 : 3200, server.tls?.ca);
  return finals(out.messages).map((f) => f.text).join(' ');
}
