import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Exits with a message for the person at the terminal: 2 for usage mistakes, 1 for failures. */
export function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

/**
 * Parses a command's arguments the same way for every voxlog CLI: `--help` prints the usage and
 * exits 0; an unknown flag or a missing value exits 2 with the usage.
 */
export function parseCli<O extends Options>(usage: string, options: O, args = Bun.argv.slice(2)) {
  const config = { args, options: { ...options, help: { type: 'boolean', short: 'h' } } as O & { help: { type: 'boolean'; short: 'h' } }, allowPositionals: true, strict: true } as const;
  let parsed;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    fail(`${(err as Error).message}\n${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
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
