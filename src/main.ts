// The entry point of every voxlog command, the binary's included: `voxlog [COMMAND]` and `bun run
// COMMAND` dispatch here (src/cli/commands.ts). `__probe` runs a throwaway model probe instead (see
// engine/model-probe.ts), `__punct` a probe of sherpa-onnx's punctuation model
// (format/sherpa-punctuation.ts), `__tts` a throwaway sherpa-onnx synthesis (dictation/tts/sherpa-child.ts)
// and `__engine` an engine host process (engine/process-entry.ts):
// imported lazily so a child does not load the whole server.
import { ENGINE_COMMAND, PROBE_COMMAND, PUNCT_PROBE_COMMAND, TTS_COMMAND } from './engine/child-command';

if (Bun.argv[2] === PROBE_COMMAND) {
  const { runProbe } = await import('./engine/probe');
  runProbe(Bun.argv[3] ?? 'null');
  process.exit(0);
}
if (Bun.argv[2] === PUNCT_PROBE_COMMAND) {
  const { runPunctuationProbe } = await import('./format/sherpa-punctuation');
  runPunctuationProbe(Bun.argv[3] ?? 'null');
  process.exit(0);
}
if (Bun.argv[2] === TTS_COMMAND) {
  const { runSherpaTts } = await import('./dictation/tts/sherpa-child');
  runSherpaTts(Bun.argv[3] ?? 'null');
  process.exit(0);
}
if (Bun.argv[2] === ENGINE_COMMAND) {
  // Serves one engine until the server closes its socket or asks it to exit.
  const { runEngineProcess } = await import('./engine/process-entry');
  await runEngineProcess(Bun.argv[3] ?? '');
} else await dispatch(Bun.argv.slice(2));

/** Runs the command named first (the server when none is): every command the binary and the package scripts have. */
async function dispatch([name, ...args]: string[]): Promise<void> {
  const [{ COMMANDS, usage, unknownCommand }, { useCommandArgs }, { default: pkg }] = await Promise.all([import('./cli/commands'), import('./cli/args'), import('../package.json')]);
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage(pkg.version));
    process.exit(0);
  }
  if (name === '--version' || name === '-v') {
    console.log(pkg.version);
    process.exit(0);
  }
  const chosen = name === undefined ? COMMANDS.serve! : Object.hasOwn(COMMANDS, name) ? COMMANDS[name]! : unknownCommand(name, pkg.version);
  useCommandArgs(name === undefined ? [] : args);
  await chosen.load();
}
