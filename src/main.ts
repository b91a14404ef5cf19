// The server's entry point, and the binary's. `__probe` runs a throwaway model probe instead (see
// engine/model-probe.ts), `__tts` a throwaway sherpa-onnx synthesis (dictation/tts/sherpa-child.ts)
// and `__engine` an engine host process (engine/process-entry.ts):
// imported lazily so a child does not load the whole server.
import { ENGINE_COMMAND, PROBE_COMMAND, TTS_COMMAND } from './engine/child-command';

if (Bun.argv[2] === PROBE_COMMAND) {
  const { runProbe } = await import('./engine/probe');
  runProbe(Bun.argv[3] ?? 'null');
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
} else await serve();

async function serve(): Promise<void> {
  const { ConfigError, loadConfig } = await import('./config');
  const { startServer } = await import('./app');
  const { StartupError } = await import('./data-lock');

  try {
    const config = loadConfig();
    const server = await startServer(config);
    console.log(`voxlog ${config.version} listening on ${server.url} (web app at ${server.url}/, Swagger UI at ${server.url}/swagger)`);
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      console.log('shutting down: flushing open sessions');
      await server.stop();
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // A stray failure in one request's or session's callback must not end every other session: it is
    // logged (and is a defect to fix), and the server keeps serving.
    process.on('unhandledRejection', (err) => console.error('unhandled rejection (the server keeps running):', err));
    process.on('uncaughtException', (err) => console.error('uncaught exception (the server keeps running):', err));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    if (err instanceof StartupError) {
      console.error(`voxlog cannot start: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}
