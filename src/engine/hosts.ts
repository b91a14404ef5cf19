// Where an engine's recognizer runs. `worker`: a Bun Worker in the server's process (the default;
// postMessage with transferred audio). `process`: a child process per engine worker, over a Unix
// socket with the binary protocol of wire.ts, so a native abort kills only that child.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EngineHostKind } from '../config';
import { childCommand, ENGINE_COMMAND } from './child-command';
import type { FromWorker, ToWorker } from './protocol';
import { SocketQueue } from '../server/socket-queue';
import { encodeToEngine, serverSideReader } from './wire';

export interface HostEvents {
  message(m: FromWorker): void;
  /** The host ended or failed; `message` says how. Called at most once. */
  exited(message: string): void;
}

export interface EngineHost {
  /** Audio's buffer is handed over (transferred or copied out): the caller must not reuse it. */
  send(msg: ToWorker): void;
  /** Asks the host to exit between messages (never inside native code); resolves once it has. */
  exit(code: number): Promise<void>;
  /** The child's process id (process hosts), for operations and fault-injection tests. */
  readonly pid: number | null;
}

export const startHost = (kind: EngineHostKind, events: HostEvents): EngineHost => (kind === 'process' ? new ProcessHost(events) : new WorkerHost(events));

/**
 * The Worker's entry point. In the binary, `bun run build` bundles it beside the main program (the
 * build's entry points are src/main.ts and src/engine/worker.ts), and `import.meta.url` is the bundle's.
 */
const WORKER_URL = Bun.isStandaloneExecutable ? new URL('engine/worker.js', pathToFileURL(Bun.main)).href : new URL('./worker.ts', import.meta.url).href;

class WorkerHost implements EngineHost {
  private readonly worker = new Worker(WORKER_URL);
  private readonly ended: Promise<void>;
  private gone = false;
  readonly pid = null;

  constructor(private readonly events: HostEvents) {
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => events.message(e.data);
    this.worker.onerror = (e) => this.end(`worker error: ${e.message}`);
    this.ended = new Promise((resolve) => this.worker.addEventListener('close', () => (resolve(), this.end('worker exited'))));
  }

  send(msg: ToWorker): void {
    this.worker.postMessage(msg, msg.type === 'audio' ? [msg.pcm.buffer] : []);
  }

  /**
   * Never `terminate()`: a Worker terminated while sherpa-onnx loads a model aborts the whole process
   * (seen on Bun 1.4.5: "terminate called after throwing an instance of 'Napi::Error'").
   */
  exit(code: number): Promise<void> {
    this.gone = true;
    this.worker.postMessage({ type: 'exit', code } satisfies ToWorker);
    return this.ended;
  }

  private end(message: string): void {
    if (!this.gone) (this.gone = true), this.events.exited(message);
  }
}

/** A process that will not exit when asked is killed after this long. */
const EXIT_GRACE_MS = 5_000;
let sockets = 0;

class ProcessHost implements EngineHost {
  private readonly child: Bun.Subprocess;
  private queue: SocketQueue | undefined;
  /** Frames sent before the child connected. */
  private early: Uint8Array[] = [];
  private gone = false;

  constructor(private readonly events: HostEvents) {
    const path = join(tmpdir(), `voxlog-engine-${process.pid}-${++sockets}.sock`);
    rmSync(path, { force: true });
    const reader = serverSideReader();
    const listener = Bun.listen({
      unix: path,
      socket: {
        open: (socket) => {
          // One child, one connection: the socket file is not needed past it.
          listener.stop();
          rmSync(path, { force: true });
          this.queue = new SocketQueue(socket);
          for (const f of this.early) this.queue.write(f);
          this.early = [];
        },
        data: (_, chunk) => {
          for (const m of reader.push(chunk)) events.message(m);
        },
        drain: () => this.queue?.flush(),
        // The child's exit (below) is what ends the host: it says how the process ended.
        close: () => {},
        error: (_, err) => console.error('engine process socket error:', err),
      },
    });
    this.child = Bun.spawn(childCommand(ENGINE_COMMAND, path), { stdout: 'inherit', stderr: 'inherit' });
    void this.child.exited.then((code) => {
      listener.stop(true);
      rmSync(path, { force: true });
      this.end(this.child.signalCode ? `engine process ${this.child.pid} was killed by ${this.child.signalCode}` : `engine process ${this.child.pid} exited with code ${code}`);
    });
  }

  get pid(): number {
    return this.child.pid;
  }

  send(msg: ToWorker): void {
    const frame = encodeToEngine(msg);
    if (this.queue) this.queue.write(frame);
    else this.early.push(frame);
  }

  async exit(code: number): Promise<void> {
    this.gone = true;
    this.send({ type: 'exit', code });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), EXIT_GRACE_MS);
    await this.child.exited;
    clearTimeout(timer);
  }

  private end(message: string): void {
    if (!this.gone) (this.gone = true), this.events.exited(message);
  }
}
