import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config';
import { didYouMean } from '../suggest';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The arguments after the command's name: `voxlog simulate a.wav` and `bun src/main.ts simulate a.wav` alike give ['a.wav']. */
let commandArgs = Bun.argv.slice(2);

/** Set by the dispatcher (src/main.ts) before it loads a command. */
export function useCommandArgs(args: readonly string[]): void {
  commandArgs = [...args];
}

/** Exits with a message for the person at the terminal: 2 for usage mistakes, 1 for failures. */
export function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

/** A parse error in the words of the person who typed the command, with a suggestion for a misspelt flag. */
function explain(err: Error & { code?: string }, args: readonly string[], options: Options): string {
  const flags = Object.keys(options).map((o) => `--${o}`);
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const given = args.find((a) => a.startsWith('-') && !flags.includes(a.split('=')[0]!) && !Object.values(options).some((o) => o.short && a === `-${o.short}`))?.split('=')[0];
    if (given) return `unknown option ${given}${didYouMean(given, flags)}`;
  }
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /'(--[\w-]+)/.exec(err.message)?.[1];
    if (flag && options[flag.slice(2)]?.type === 'string') return `${flag} needs a value`;
    if (flag) return `${flag} takes no value`;
  }
  return err.message;
}

/**
 * Parses a command's arguments the same way for every voxlog CLI: `--help` prints the usage and
 * exits 0; an unknown flag, a missing value or an empty one exits 2 saying which, with the usage.
 */
export function parseCli<O extends Options>(usage: string, options: O, args = commandArgs) {
  const config = { args, options: { ...options, help: { type: 'boolean', short: 'h' } } as O & { help: { type: 'boolean'; short: 'h' } }, allowPositionals: true, strict: true } as const;
  let parsed;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    fail(`${explain(err as Error, args, config.options)}\n\n${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  // `--token ""` (an unset shell variable, usually) is a mistake to say, not a flag to drop.
  const given = (name: string) => args.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === '' && given(name)) fail(`--${name} is empty: give it a value, or leave it out\n\n${usage}`);
  }
  return parsed;
}

/** A flag value that must be a number within [min, max]; otherwise exits 2 naming the flag. */
export function numberFlag(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) fail(`--${name} ${JSON.stringify(raw)} must be a number from ${min} to ${max}`);
  return n;
}

/** The server's configuration for a CLI, or exit 2 naming every bad variable. */
export function cliConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    fail(err instanceof ConfigError ? err.message : String(err));
  }
}
