// While a server runs, its SQLite log is its alone (see openDatabase: no other process may open the
// file). The command-line tools that work beside a running server reach it here instead: a Unix
// socket in the data directory, readable by the server's own OS user only, so holding the file
// system's permission is the credential, as for the log file itself. One JSON line asks, one answers.
import type { Database } from 'bun:sqlite';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Role } from '../auth/principal';
import type { Users } from '../auth/users';
import { VoxError } from '../errors';

/** The socket's path in a data directory. */
export const adminSocketPath = (dataDir: string): string => join(dataDir, 'admin.sock');

export type AdminRequest =
  | { readonly op: 'users.add'; readonly name: string; readonly password: string; readonly role: Role }
  | { readonly op: 'users.list' }
  /** A consistent copy of the server's SQLite file `path` (its log, or its replica of PostgreSQL's), for `replay`. */
  | { readonly op: 'snapshot'; readonly path: string };

export type AdminReply = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string };

/** Serves the admin socket of a running server; returns how to stop it. */
export function serveAdminSocket(dataDir: string, db: { readonly handle: Database; readonly path: string }, users: Users): { stop(): void } {
  const path = adminSocketPath(dataDir);
  rmSync(path, { force: true });
  const answer = async (line: string): Promise<AdminReply> => {
    try {
      const req = JSON.parse(line) as AdminRequest;
      switch (req.op) {
        case 'users.add':
          return { ok: true, result: await users.create(String(req.name), String(req.password), req.role === 'admin' ? 'admin' : 'user') };
        case 'users.list':
          return { ok: true, result: users.list() };
        case 'snapshot': {
          if (resolve(String(req.path)) !== resolve(db.path)) return { ok: false, error: `this server's file is ${db.path}, not ${req.path}` };
          const dir = join(dataDir, 'tmp');
          mkdirSync(dir, { recursive: true });
          const file = join(dir, `snapshot-${crypto.randomUUID()}.sqlite`);
          db.handle.query('VACUUM INTO ?').run(file);
          return { ok: true, result: file };
        }
        default:
          return { ok: false, error: `unknown op ${JSON.stringify((req as { op?: unknown }).op)}` };
      }
    } catch (err) {
      return { ok: false, error: err instanceof VoxError || err instanceof SyntaxError ? err.message : String(err) };
    }
  };
  let server;
  try {
    server = listen(path, answer);
  } catch (err) {
    // A path too long for a Unix socket, say: the server runs, the tools then ask it to be stopped.
    console.warn(`no admin socket at ${path} (${(err as Error).message}): command-line tools cannot reach this server while it runs`);
    return { stop: () => {} };
  }
  chmodSync(path, 0o600);
  return {
    stop: () => {
      server.stop(true);
      rmSync(path, { force: true });
    },
  };
}

function listen(path: string, answer: (line: string) => Promise<AdminReply>) {
  return Bun.listen<{ buffer: string }>({
    unix: path,
    socket: {
      open: (s) => void (s.data = { buffer: '' }),
      data: (s, chunk) => {
        s.data.buffer += chunk.toString();
        const end = s.data.buffer.indexOf('\n');
        if (end < 0) return;
        void answer(s.data.buffer.slice(0, end)).then((reply) => s.end(`${JSON.stringify(reply)}\n`));
      },
    },
  });
}

/** Asks the server running on `dataDir`, if one is; undefined when none answers there. */
export async function askServer(dataDir: string, req: AdminRequest): Promise<AdminReply | undefined> {
  let text = '';
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const socket = await Bun.connect({
    unix: adminSocketPath(dataDir),
    socket: { data: (_s, d) => void (text += d.toString()), close: () => done(), error: () => done() },
  }).catch(() => undefined);
  if (!socket) return undefined;
  socket.write(`${JSON.stringify(req)}\n`);
  await finished;
  return text ? (JSON.parse(text) as AdminReply) : undefined;
}
