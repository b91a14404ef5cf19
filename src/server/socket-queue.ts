// Shared by the Wyoming TCP server and the engine process host, both on Bun sockets.

/** Writes to a socket that may take only part of a write: the rest is kept for its `drain`. */
export class SocketQueue {
  private pending: Uint8Array[] = [];
  private ending = false;

  constructor(private readonly socket: { write(bytes: Uint8Array): number; end(): void }) {}

  /** Half-closes the socket once everything queued is written. */
  end(): void {
    this.ending = true;
    if (this.pending.length === 0) this.socket.end();
  }

  write(bytes: Uint8Array): void {
    this.pending.push(bytes);
    if (this.pending.length === 1) this.flush();
  }

  /** Call from the socket's `drain` handler. */
  flush(): void {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const n = this.socket.write(head);
      if (n < head.length) return void (this.pending[0] = head.subarray(Math.max(0, n)));
      this.pending.shift();
    }
    if (this.ending) this.socket.end();
  }
}
