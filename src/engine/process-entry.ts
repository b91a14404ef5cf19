// An engine host in a child process of its own (VOXLOG_ENGINE_HOST=process): the same EngineCore as
// a Worker runs, speaking the binary engine protocol (wire.ts) over the Unix socket the server made.
// A native abort here ends only this process; the server restarts it and reopens its streams.
import { EngineCore } from './core';
import { SocketQueue } from '../server/socket-queue';
import { encodeFromEngine, engineSideReader } from './wire';

export async function runEngineProcess(socketPath: string): Promise<void> {
  const reader = engineSideReader();
  let core: EngineCore | undefined;
  let queue: SocketQueue | undefined;
  const socket = await Bun.connect({
    unix: socketPath,
    socket: {
      data(_, chunk) {
        for (const msg of reader.push(chunk)) core!.receive(msg);
      },
      drain: () => queue?.flush(),
      // The server is gone (stopped, or killed): nothing is left to serve.
      close: () => process.exit(0),
      error: (_, err) => (console.error('engine process socket error:', err), process.exit(1)),
    },
  });
  queue = new SocketQueue(socket);
  core = new EngineCore(
    (m) => queue.write(encodeFromEngine(m)),
    (code) => process.exit(code),
  );
}
