/** One file's progress: a bar redrawn in place on a terminal; a line per tenth otherwise (logs, CI). */
export function progressLine(name: string) {
  const tty = process.stderr.isTTY;
  let lastTenth = -1;
  const show = (fraction: number, detail: string) => {
    const pct = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
    if (tty) return void process.stderr.write(`\r\x1b[2K[${'#'.repeat(Math.floor(pct / 4)).padEnd(25, '-')}] ${String(pct).padStart(3)}% ${name} ${detail}`);
    if (Math.floor(pct / 10) > lastTenth) (lastTenth = Math.floor(pct / 10)), process.stderr.write(`${name}: ${pct}% ${detail}\n`);
  };
  const end = (line: string) => process.stderr.write(`${tty ? '\r\x1b[2K' : ''}${line}\n`);
  return Object.assign(show, { done: (what: string) => end(`${name}: done, ${what}`), failed: (why: string) => end(`${name}: failed: ${why}`) });
}
