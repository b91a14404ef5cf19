// The Wyoming TCP server (VOXLOG_WYOMING_PORT): Home Assistant's voice pipeline, and anything else
// that speaks Wyoming, uses voxlog as its speech-to-text service.
import type { Socket, TCPSocketListener } from 'bun';
import type { Authenticator } from '../../auth/authenticator';
import type { TranscribeDeps } from '../../server/ws';
import { CLOSE_WAIT_S } from '../../server/host';
import { SocketQueue } from '../../server/socket-queue';
import { WyomingFormatError, WyomingReader } from './codec';
import { WyomingConnection } from './connection';
import { isRecognizer } from '../../../models/catalog';

export interface WyomingOptions {
  readonly host: string;
  readonly port: number;
  readonly apiKey: string | undefined;
  readonly version: string;
  /** The HTTP server's address (its web app), given as the program's attribution link. */
  readonly url: string;
}

interface State {
  readonly reader: WyomingReader;
  readonly connection: WyomingConnection;
  /** Bytes the kernel would not take yet, written on `drain`. */
  readonly out: SocketQueue;
  /** The client's address while it counts toward VOXLOG_MAX_SOCKETS_PER_IP. */
  ip: string | undefined;
}

/**
 * Ends a connection from the server's side: nothing more is read from it, what was written goes out,
 * and a client that does not take it within the grace is cut.
 */
function hangUp(socket: Socket<State>): void {
  socket.pause();
  socket.data.out.end();
  setTimeout(() => socket.terminate(), CLOSE_WAIT_S * 1000).unref();
}

const ATTRIBUTION = { name: 'k2-fsa/sherpa-onnx', url: 'https://github.com/k2-fsa/sherpa-onnx' };

export interface WyomingServer {
  readonly port: number;
  stop(): void;
}

export function startWyoming(live: TranscribeDeps, auth: Authenticator, o: WyomingOptions): WyomingServer {
  const info = () => ({
    asr: [
      {
        name: 'voxlog',
        description: 'voxlog: self-hosted speech-to-text (sherpa-onnx)',
        attribution: { name: 'voxlog', url: o.url },
        installed: true,
        version: o.version,
        supports_transcript_streaming: true,
        models: live.registry
          .list()
          .filter((m) => isRecognizer(m))
          .map((m) => ({ name: m.id, description: m.description, attribution: ATTRIBUTION, installed: m.available, languages: [m.language], version: o.version })),
      },
    ],
    tts: [],
    handle: [],
    intent: [],
    wake: [],
    mic: [],
    snd: [],
  });
  const listener: TCPSocketListener<State> = Bun.listen<State>({
    hostname: o.host,
    port: o.port,
    socket: {
      open(socket) {
        const out = new SocketQueue(socket);
        const wire = {
          write: (bytes: Uint8Array) => out.write(bytes),
          pause: () => socket.pause(),
          resume: () => socket.resume(),
          hangUp: () => hangUp(socket),
        };
        socket.data = { reader: new WyomingReader(live.maxFrameBytes), connection: new WyomingConnection({ live, auth, apiKey: o.apiKey, info }, wire), out, ip: socket.remoteAddress };
        try {
          live.sockets.check(socket.remoteAddress, live.onRejected);
        } catch (err) {
          socket.data.ip = undefined;
          socket.data.connection.error((err as Error).message, 'too_many_connections');
          return hangUp(socket);
        }
        live.sockets.add(socket.remoteAddress);
      },
      data(socket, chunk) {
        const { reader, connection } = socket.data;
        try {
          for (const e of reader.push(chunk)) connection.receive(e);
        } catch (err) {
          if (!(err instanceof WyomingFormatError)) throw err;
          // The stream cannot be followed past a malformed event: say why, then hang up.
          connection.error(err.message, 'malformed_event');
          connection.gone();
          hangUp(socket);
        }
      },
      drain: (socket) => socket.data?.out.flush(),
      close(socket) {
        if (socket.data?.ip !== undefined) live.sockets.remove(socket.data.ip);
        socket.data?.connection.gone();
      },
      error(socket, err) {
        console.error('wyoming connection error:', err);
        socket.data?.connection.gone();
      },
    },
  });
  console.log(`wyoming listening on tcp://${o.host}:${listener.port}`);
  return { port: listener.port, stop: () => listener.stop(true) };
}
