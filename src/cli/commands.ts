// Every command voxlog has, in one table: the binary (`voxlog simulate …`) and the package scripts
// (`bun run simulate …`, which run `bun src/main.ts simulate …`) dispatch through it alike.
import { didYouMean } from '../suggest';
import { command, PROGRAM } from '../program';
import { fail } from './args';

interface Command {
  readonly summary: string;
  /** Runs the command: its module reads its arguments through parseCli and exits with its own codes. */
  readonly load: () => Promise<unknown>;
}

export const COMMANDS: Record<string, Command> = {
  serve: { summary: 'start the server (the default when no command is given)', load: () => import('./serve') },
  simulate: { summary: 'stream an audio file to a server like a live client', load: () => import('./simulate') },
  transcribe: { summary: 'transcribe recordings to txt, srt, vtt or json, here or through a server', load: () => import('./transcribe') },
  models: { summary: 'list the models voxlog knows and which are on disk; pull one', load: () => import('./models') },
  users: { summary: 'add and list users', load: () => import('./users') },
  replay: { summary: "rebuild the views from the event log and compare; print a session's timeline", load: () => import('./replay') },
  log: { summary: 'copy an SQLite event log into PostgreSQL', load: () => import('./log') },
};

export const usage = (version: string): string => `voxlog ${version}: self-hosted real-time speech-to-text

usage: ${PROGRAM === 'voxlog' ? 'voxlog [COMMAND] [OPTIONS]' : 'bun run COMMAND [OPTIONS]   (or: bun src/main.ts COMMAND [OPTIONS])'}

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(12)}${c.summary}`)
  .join('\n')}

${command('COMMAND')} --help shows a command's options. The server is configured with environment
variables (PORT, HOST, VOXLOG_DATA_DIR, VOXLOG_MODELS_DIR, VOXLOG_DEFAULT_MODEL...): see ${command('serve')} --help.`;

/** Exits 2 naming the unknown command or option, with the command it was likely meant to be. */
export function unknownCommand(name: string, version: string): never {
  fail(`unknown ${name.startsWith('-') ? 'option' : 'command'} ${name}${didYouMean(name, Object.keys(COMMANDS))}\n\n${usage(version)}`);
}
