// Reads what voxlog needs from an ONNX file's protobuf without a runtime: the graph's output shapes
// and the model's metadata. onnxruntime-node could read them too, but it is a 288 MB native
// dependency the server otherwise does not need (sherpa-onnx brings its own runtime).

/** One graph input or output: its name and dimensions (a number, or the symbolic name of a dynamic one). */
export interface OnnxOutput {
  readonly name: string;
  readonly dims: readonly (number | string)[];
}

export interface OnnxInfo {
  readonly inputs: readonly OnnxOutput[];
  readonly outputs: readonly OnnxOutput[];
  readonly metadata: Readonly<Record<string, string>>;
}

const decoder = new TextDecoder();

/** A protobuf message's fields: `[field number, wire type, value]` (varints as numbers, the rest as bytes). */
function* fields(buf: Uint8Array, from = 0, to = buf.length): Generator<[number, number, number | Uint8Array]> {
  let at = from;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (at >= to) throw new Error('truncated ONNX protobuf');
      const b = buf[at++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
  };
  while (at < to) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) yield [field, wire, varint()];
    else if (wire === 2) {
      const len = varint();
      if (at + len > to) throw new Error('truncated ONNX protobuf');
      yield [field, wire, buf.subarray(at, at + len)];
      at += len;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

const bytesOf = (buf: Uint8Array, field: number): Uint8Array[] => [...fields(buf)].filter(([f, w]) => f === field && w === 2).map(([, , v]) => v as Uint8Array);

function output(valueInfo: Uint8Array): OnnxOutput {
  const name = decoder.decode(bytesOf(valueInfo, 1)[0] ?? new Uint8Array());
  const tensor = bytesOf(bytesOf(valueInfo, 2)[0] ?? new Uint8Array(), 1)[0];
  const shape = tensor ? bytesOf(tensor, 2)[0] : undefined;
  const dims = (shape ? bytesOf(shape, 1) : []).map((dim) => {
    for (const [f, , v] of fields(dim)) {
      if (f === 1) return v as number;
      if (f === 2) return decoder.decode(v as Uint8Array);
    }
    return '?';
  });
  return { name, dims };
}

/** Parses a model: ModelProto.graph (7) → GraphProto.input (11) and output (12); ModelProto.metadata_props (14). */
export function readOnnxInfo(model: Uint8Array): OnnxInfo {
  const inputs: OnnxOutput[] = [];
  const outputs: OnnxOutput[] = [];
  const metadata: Record<string, string> = {};
  for (const [field, wire, value] of fields(model)) {
    if (wire !== 2) continue;
    if (field === 7) {
      for (const inp of bytesOf(value as Uint8Array, 11)) inputs.push(output(inp));
      for (const out of bytesOf(value as Uint8Array, 12)) outputs.push(output(out));
    }
    if (field === 14) {
      const [key, val] = [bytesOf(value as Uint8Array, 1)[0], bytesOf(value as Uint8Array, 2)[0]];
      if (key) metadata[decoder.decode(key)] = val ? decoder.decode(val) : '';
    }
  }
  return { inputs, outputs, metadata };
}

/**
 * How many output classes (tokens) the model scores: a transducer's joiner output width, or a CTC
 * model's last output dimension; null when the file does not say (a dynamic dimension).
 */
export function vocabularySize(info: OnnxInfo): number | null {
  const declared = Number(info.metadata.vocab_size);
  if (Number.isInteger(declared) && declared > 0) return declared;
  const last = info.outputs[0]?.dims.at(-1);
  return typeof last === 'number' && last > 0 ? last : null;
}

/** How many streams the model takes in one call: its first input's batch dimension, or null when it is dynamic. */
export function batchDimension(info: OnnxInfo): number | null {
  const first = info.inputs[0]?.dims[0];
  return typeof first === 'number' && first > 0 ? first : null;
}
