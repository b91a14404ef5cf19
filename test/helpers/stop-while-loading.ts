// Run as its own process by supervision.int.test.ts: stops servers while their model is still
// loading in its workers. A worker stopped mid-load must not abort this process.
import { PREFERRED_DEFAULT_MODEL } from '../../models/catalog';
import { eventually, startTestServer } from './server';

const rounds = Number(process.argv[2] ?? 5);
for (let i = 0; i < rounds; i++) {
  const server = await startTestServer({ VOXLOG_WORKERS_PER_MODEL: '2' });
  const acquiring = server.registry.acquire(PREFERRED_DEFAULT_MODEL).catch(() => undefined);
  await eventually(() => server.registry.engine(PREFERRED_DEFAULT_MODEL)?.status === 'loading', 20_000);
  await Bun.sleep(i * 40); // somewhere in the model's load, which takes about 700 ms here
  await server.dispose();
  await acquiring;
  console.log(`round ${i}: stopped while ${PREFERRED_DEFAULT_MODEL} was loading`);
}
console.log('survived');
