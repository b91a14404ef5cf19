// Fixed-size frames from audio that arrives whole or in pieces of any size: what a client sends, and
// what the file path's VAD hears (so where it cuts does not depend on how a pipe split the audio).

/** Cuts audio, whole or arriving in pieces, into frames of `size` bytes (the last may be shorter). */
export async function* frames(audio: Uint8Array | AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  if (audio instanceof Uint8Array) {
    for (let at = 0; at < audio.length; at += size) yield audio.subarray(at, at + size);
    return;
  }
  let pending = new Uint8Array(0);
  for await (const piece of audio) {
    const bytes = pending.length === 0 ? piece : concatBytes(pending, piece);
    let at = 0;
    for (; at + size <= bytes.length; at += size) yield bytes.subarray(at, at + size);
    pending = bytes.slice(at);
  }
  if (pending.length > 0) yield pending;
}

const concatBytes = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};
