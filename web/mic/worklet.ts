// The microphone's AudioWorklet: runs on the audio thread and hands the page 100 ms blocks of samples.
// (The AudioWorklet global scope is not in TypeScript's DOM library; the little it needs is declared here.)
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, ctor: new () => AudioWorkletProcessor): void;
declare const sampleRate: number;

class MicCapture extends AudioWorkletProcessor {
  // Kept apart from the block: transferring a block detaches it, and its length reads 0 afterwards.
  private readonly size = Math.round(sampleRate / 10);
  private block = new Float32Array(this.size);
  private filled = 0;

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    let read = 0;
    while (read < channel.length) {
      const n = Math.min(channel.length - read, this.size - this.filled);
      this.block.set(channel.subarray(read, read + n), this.filled);
      this.filled += n;
      read += n;
      if (this.filled === this.size) {
        this.port.postMessage(this.block, [this.block.buffer]);
        this.block = new Float32Array(this.size);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor('voxlog-mic', MicCapture);
