// bun run users add [--admin] NAME     create a user (password from stdin, or asked for at a terminal)
// bun run users list                    the users and their roles
import { projections } from '../../events/projections';
import { Users, type UserRow } from '../auth/users';
import { askServer } from '../ops/admin-socket';
import { openEventLog } from '../event-log';
import { VoxError } from '../errors';
import { cliConfig, fail, parseCli } from './args';
import { PROGRAM } from '../program';

const USAGE = `usage: ${PROGRAM} users add [--admin] NAME
       ${PROGRAM} users list

  add NAME      create a user (role user, or admin with --admin). The password is read from the
                first line of standard input, or asked for when run at a terminal. Works while the
                server runs: through its admin socket (VOXLOG_DATA_DIR/admin.sock), else into the
                log in VOXLOG_DATA_DIR (default data/), or in VOXLOG_DATABASE_URL's PostgreSQL.
  list          every user, role and whether it is disabled

Exit codes: 0 done, 1 refused (the name exists, the password is too short), 2 bad arguments.`;

const { values, positionals } = parseCli(USAGE, { admin: { type: 'boolean', default: false } });
const [command, name, ...extra] = positionals;
const config = cliConfig();
if (command !== 'add' && command !== 'list') fail(USAGE);
if (command === 'add' && (!name || extra.length > 0)) fail(`add takes one NAME\n${USAGE}`);
const password = command === 'add' ? await readPassword() : '';
// A running server holds its SQLite log alone: it is asked through its admin socket instead.
if (!config.databaseUrl) await viaServer();
// On PostgreSQL the CLI is a node of its own for a moment, with its replica in memory (the server's is the server's).
const log = await openEventLog({ dataDir: config.databaseUrl ? null : config.dataDir, databaseUrl: config.databaseUrl, synchronous: config.sqliteSynchronous, projections }).catch((err: Error) =>
  fail(err.message, 1),
);
const users = new Users(log.db, log.store);

switch (command) {
  case 'add': {
    try {
      const user = await users.create(name!, password, values.admin ? 'admin' : 'user');
      console.log(`created ${user.role} ${user.name} (id ${user.id})`);
    } catch (err) {
      fail(err instanceof VoxError ? err.message : String(err), 1);
    }
    break;
  }
  case 'list':
    printUsers(users.list());
    break;
}
await log.close();

/** Runs the command on the server running over VOXLOG_DATA_DIR, if one is, and exits; returns when none answers. */
async function viaServer(): Promise<void> {
  const reply = await askServer(config.dataDir, command === 'list' ? { op: 'users.list' } : { op: 'users.add', name: name!, password, role: values.admin ? 'admin' : 'user' });
  if (!reply) return;
  if (!reply.ok) fail(reply.error, 1);
  if (command === 'list') printUsers(reply.result as UserRow[]);
  else {
    const user = reply.result as UserRow;
    console.log(`created ${user.role} ${user.name} (id ${user.id}) through the running server`);
  }
  process.exit(0);
}

function printUsers(list: readonly UserRow[]): void {
  for (const u of list) console.log(`${u.id}  ${u.name.padEnd(20)} ${u.role.padEnd(6)} ${u.disabled ? 'disabled' : ''}`);
}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) return prompt('password:') ?? '';
  for await (const line of console) return line;
  return '';
}
