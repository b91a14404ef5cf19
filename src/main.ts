import { ConfigError, loadConfig } from './config';
import { startServer } from './app';

try {
  const config = loadConfig();
  const server = await startServer(config);
  console.log(`voxlog ${config.version} listening on ${server.url} (Swagger UI at ${server.url}/swagger)`);
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
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
