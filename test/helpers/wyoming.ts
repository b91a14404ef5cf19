// A Wyoming client written from the protocol's description (a JSON header line with data_length and
// payload_length, then the data JSON, then the payload), independent of voxlog's own codec.
import { eventually } from './server';

export type WyomingEvent = { type: string; data: Record<string, any>; at: number };

export type WyomingClient = Awaited<ReturnType<typeof connectWyoming>>;

/** A Wyoming client: header line with data_length/payload_length, then the data JSON, then the payload. */
export async function connectWyoming(port: number) {
  const events: WyomingEvent[] = [];
  let buffer = Buffer.alloc(0);
  let closed = false;
  const socket = await Bun.connect({
    hostname: '127.0.0.1',
    port,
    socket: {
      data(_s, chunk) {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          const nl = buffer.indexOf(10);
          if (nl < 0) return;
          const header = JSON.parse(buffer.subarray(0, nl).toString());
          const dataLength = header.data_length ?? 0;
          const payloadLength = header.payload_length ?? 0;
          if (buffer.length < nl + 1 + dataLength + payloadLength) return;
          const data = { ...(header.data ?? {}), ...(dataLength ? JSON.parse(buffer.subarray(nl + 1, nl + 1 + dataLength).toString()) : {}) };
          events.push({ type: header.type, data, at: performance.now() });
          buffer = buffer.subarray(nl + 1 + dataLength + payloadLength);
        }
      },
      // What the kernel would not take yet goes out as it drains: a fast sender loses nothing.
      drain(s) {
        while (pending.length > 0) {
          const n = s.write(pending[0]!);
          if (n < pending[0]!.length) return void (pending[0] = pending[0]!.subarray(Math.max(0, n)));
          pending.shift();
        }
      },
      close() {
        closed = true;
      },
    },
  });
  const pending: Uint8Array[] = [];
  const send = (bytes: Uint8Array) => {
    if (pending.length > 0) return void pending.push(bytes);
    const n = socket.write(bytes);
    if (n < bytes.length) pending.push(bytes.subarray(Math.max(0, n)));
  };
  const write = (type: string, data: Record<string, unknown> = {}, payload?: Uint8Array) => {
    const body = Buffer.from(JSON.stringify(data));
    const header = { type, version: '1.7.2', data_length: body.length, ...(payload ? { payload_length: payload.length } : {}) };
    send(Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), body, payload ?? Buffer.alloc(0)]));
  };
  const next = (type: string, after = 0) => eventually(() => events.slice(after).find((e) => e.type === type), 60_000);
  return { socket, events, write, next, raw: (bytes: string) => send(Buffer.from(bytes)), closed: () => closed, unsent: () => pending.reduce((n, b) => n + b.length, 0) };
}

