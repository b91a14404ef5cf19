// bun run users add [--admin] NAME     create a user (password from stdin, or asked for at a terminal)
// bun run users list                    the users and their roles
import { projections } from '../../events/projections';
import { Users } from '../auth/users';
import { openEventLog } from '../event-log';
import { VoxError } from '../errors';
import { cliConfig, fail, parseCli } from './args';

const USAGE = `usage: bun run users add [--admin] NAME
       bun run users list

  add NAME      create a user (role user, or admin with --admin). The password is read from the
                first line of standard input, or asked for when run at a terminal. Works while the
                server runs: it writes to the same log in VOXLOG_DATA_DIR (default data/), or in
                VOXLOG_DATABASE_URL's PostgreSQL.
  list          every user, role and whether it is disabled

Exit codes: 0 done, 1 refused (the name exists, the password is too short), 2 bad arguments.`;

const { values, positionals } = parseCli(USAGE, { admin: { type: 'boolean', default: false } });
const [command, name, ...extra] = positionals;
const config = cliConfig();
// On PostgreSQL the CLI is a node of its own for a moment, with its replica in memory (the server's is the server's).
const log = await openEventLog({ dataDir: config.databaseUrl ? null : config.dataDir, databaseUrl: config.databaseUrl, synchronous: config.sqliteSynchronous, projections }).catch((err: Error) =>
  fail(err.message, 1),
);
const users = new Users(log.db, log.store);

switch (command) {
  case 'add': {
    if (!name || extra.length > 0) fail(`add takes one NAME\n${USAGE}`);
    const password = await readPassword();
    try {
      const user = await users.create(name, password, values.admin ? 'admin' : 'user');
      console.log(`created ${user.role} ${user.name} (id ${user.id})`);
    } catch (err) {
      fail(err instanceof VoxError ? err.message : String(err), 1);
    }
    break;
  }
  case 'list':
    for (const u of users.list()) console.log(`${u.id}  ${u.name.padEnd(20)} ${u.role.padEnd(6)} ${u.disabled ? 'disabled' : ''}`);
    break;
  default:
    fail(USAGE);
}
await log.close();

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) return prompt('password:') ?? '';
  for await (const line of console) return line;
  return '';
}
