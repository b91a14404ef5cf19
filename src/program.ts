/**
 * How a person runs a voxlog command here: `voxlog simulate` from the binary, `bun run simulate`
 * from a checkout. Every usage and every piece of advice names commands this way.
 */
export const PROGRAM = Bun.isStandaloneExecutable ? 'voxlog' : 'bun run';

/** A command as the person at this terminal would type it: `command('models pull X')`; `command('start')` starts the server. */
export const command = (rest: string): string => (rest === 'start' && PROGRAM === 'voxlog' ? 'voxlog' : `${PROGRAM} ${rest}`);
