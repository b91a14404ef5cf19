// Multipart uploads streamed to disk as they arrive: a 1 GB recording never sits in memory, and
// one over the limit is refused as soon as its bytes pass it (a declared length over it never gets here: the gate refuses it, src/limits/bodies.ts).
import busboy from 'busboy';
import type { OpenAPIV3 } from 'openapi-types';
import { closeSync, createWriteStream, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { wavHeader } from '../audio/wav';
import { PayloadTooLargeError, ValidationError } from '../errors';
import { MULTIPART_SLACK } from '../limits/bodies';

/** An uploaded file on disk, under a temporary name until a job takes it. */
export interface StoredUpload {
  readonly path: string;
  /** The name the client gave (for people only; never used as a path). */
  readonly fileName: string;
  readonly size: number;
  readonly contentType: string;
}

export interface ReceivedForm {
  readonly upload: StoredUpload | undefined;
  /** Text fields; a repeated one (`timestamp_granularities[]`) is an array. */
  readonly fields: Readonly<Record<string, string | string[]>>;
}

const MAX_FIELDS = 32;
const MAX_FIELD_BYTES = 64 * 1024;

/** OpenAPI for a multipart body of a `file` and these other fields (streamed, so Elysia has no schema of it to show). */
export const multipartBody = (fields: Record<string, OpenAPIV3.SchemaObject>): OpenAPIV3.RequestBodyObject => ({
  content: { 'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' }, ...fields } } } },
});

/** Runs `f`; if it throws, the upload is deleted first (nothing is left behind for a refused request). */
export function withUpload<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    rmSync(path, { force: true });
    throw err;
  }
}

/**
 * The request's body as a Node stream that errors with a 413 once more than `maxBytes` arrived: a
 * chunked body has no length to check first, and nothing else stops reading it.
 */
function boundedBody(body: ReadableStream<Uint8Array>, maxBytes: number, tooLarge: () => PayloadTooLargeError, onChunk?: (chunk: Uint8Array) => void): Readable {
  let size = 0;
  const counted = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      size += chunk.length;
      if (size > maxBytes) return controller.error(tooLarge());
      onChunk?.(chunk);
      controller.enqueue(chunk);
    },
  });
  return Readable.fromWeb(body.pipeThrough(counted) as unknown as import('node:stream/web').ReadableStream);
}

/** Reads a multipart/form-data request, writing its `file` field into `dir` as it streams in. */
export async function receiveMultipart(request: Request, o: { dir: string; maxBytes: number; setting: string }): Promise<ReceivedForm> {
  const type = request.headers.get('content-type') ?? '';
  if (!type.toLowerCase().startsWith('multipart/form-data')) throw new ValidationError(`send the audio as multipart/form-data with a file field (got Content-Type ${JSON.stringify(type || 'none')})`, 'multipart_required');
  if (!request.body) throw new ValidationError('file: the request has no body', 'file_missing');
  mkdirSync(o.dir, { recursive: true });
  const path = join(o.dir, `upload-${crypto.randomUUID()}`);
  const fields: Record<string, string | string[]> = {};
  let upload: StoredUpload | undefined;
  let tooLarge = false;
  const writes: Promise<void>[] = [];
  // Past the limit busboy discards the rest of the file (read, never written) and the body stops being
  // read at the limit plus MULTIPART_SLACK; the connection is not cut first, so the client hears the 413.
  const overLimit = () => new PayloadTooLargeError(`the file is over ${o.maxBytes} bytes, the most accepted (${o.setting})`);
  const source = boundedBody(request.body, o.maxBytes + MULTIPART_SLACK, overLimit);
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: { 'content-type': type }, limits: { fileSize: o.maxBytes, files: 4, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES } });
  } catch (err) {
    throw new ValidationError(`the multipart body cannot be read: ${(err as Error).message}`, 'bad_multipart');
  }
  parser.on('file', (name, file, info) => {
    if (name !== 'file' || upload) return void file.resume();
    let size = 0;
    file.on('data', (d: Buffer) => void (size += d.length));
    file.on('limit', () => void (tooLarge = true));
    const written = pipeline(file, createWriteStream(path)).then(() => void (upload = { path, fileName: info.filename || 'upload', size, contentType: info.mimeType }));
    // When the body fails first, this write fails too and is never awaited: it must not go unhandled.
    written.catch(() => {});
    writes.push(written);
  });
  parser.on('field', (name, value) => {
    const key = name.endsWith('[]') ? name.slice(0, -2) : name;
    const prior = fields[key];
    fields[key] = prior === undefined ? (name.endsWith('[]') ? [value] : value) : [...(Array.isArray(prior) ? prior : [prior]), value];
  });
  try {
    await pipeline(source, parser);
    await Promise.all(writes);
  } catch (err) {
    rmSync(path, { force: true });
    if (tooLarge || err instanceof PayloadTooLargeError) throw overLimit();
    throw new ValidationError(`the upload could not be read: ${(err as Error).message}`, 'bad_multipart');
  }
  if (tooLarge) {
    rmSync(path, { force: true });
    throw overLimit();
  }
  return { upload, fields };
}

/**
 * Writes a raw request body (the audio itself, as Deepgram's file API takes it) into `dir`. Headerless
 * audio (`raw` names its encoding and rate) gets a WAV header, so the audio input reads it like a file.
 * Also returns the SHA-256 of the body as sent.
 */
export async function receiveRaw(request: Request, o: { dir: string; maxBytes: number; setting: string; raw?: { encoding: 'pcm16' | 'mulaw' | 'alaw'; rate: number } }): Promise<StoredUpload & { sha256: string }> {
  if (!request.body) throw new ValidationError('the request has no body: send the audio as the body', 'file_missing');
  mkdirSync(o.dir, { recursive: true });
  const path = join(o.dir, `upload-${crypto.randomUUID()}`);
  const skip = o.raw ? 44 : 0;
  let size = 0;
  const hash = new Bun.CryptoHasher('sha256');
  const overLimit = () => new PayloadTooLargeError(`the file is over ${o.maxBytes} bytes, the most accepted (${o.setting})`);
  const source = boundedBody(request.body, o.maxBytes, overLimit, (chunk) => {
    size += chunk.length;
    hash.update(chunk);
  });
  try {
    await pipeline(source, createWriteStream(path, { start: skip }));
  } catch (err) {
    rmSync(path, { force: true });
    if (err instanceof PayloadTooLargeError) throw err;
    throw new ValidationError(`the upload could not be read: ${(err as Error).message}`, 'bad_upload');
  }
  if (size === 0) {
    rmSync(path, { force: true });
    throw new ValidationError('the request body is empty: send the audio as the body', 'file_missing');
  }
  if (o.raw) {
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, wavHeader(o.raw.encoding, o.raw.rate, size), 0, 44, 0);
    } finally {
      closeSync(fd);
    }
  }
  return { path, fileName: 'upload', size: size + skip, contentType: request.headers.get('content-type') ?? 'application/octet-stream', sha256: hash.digest('hex') };
}
