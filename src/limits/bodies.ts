// Every request body has a bound, decided here before a byte of it is read. Bun's own limit is not
// used: it answers 413 with an empty body, and a chunked body over it errors a stream that nothing
// owns. Uploads stream to disk and count what arrives (a chunked upload is fine there); every other
// route parses its body whole, so it must say how long it is.
import { LengthRequiredError, PayloadTooLargeError, type VoxError } from '../errors';

/** Room for the multipart framing and the text fields around an uploaded file. */
export const MULTIPART_SLACK = 1024 * 1024;
/** The same around a spoken attempt, whose few fields are short. */
const ATTEMPT_SLACK = 64 * 1024;
/** The most a JSON (or form) body may be on any route that is not an upload. */
export const JSON_BODY_BYTES = 4 * 1024 * 1024;

export interface BodyBounds {
  /** VOXLOG_MAX_UPLOAD_BYTES: jobs, the OpenAI-compatible and Deepgram file routes. */
  readonly uploadBytes: number;
  /** VOXLOG_MAX_ATTEMPT_AUDIO_BYTES: a spoken attempt (parsed in memory, so smaller). */
  readonly attemptBytes: number;
}

/** Routes that stream their body to disk and stop reading it at their limit. */
const STREAMED = new Set(['/api/v1/jobs', '/v1/audio/transcriptions', '/v1/listen']);

interface Bound {
  readonly bytes: number;
  readonly what: string;
  readonly streamed: boolean;
}

function boundOf(path: string, b: BodyBounds): Bound {
  if (STREAMED.has(path)) return { bytes: b.uploadBytes + MULTIPART_SLACK, what: `an upload may be at most ${b.uploadBytes} bytes (VOXLOG_MAX_UPLOAD_BYTES)`, streamed: true };
  if (path === '/api/v1/attempts') return { bytes: b.attemptBytes + ATTEMPT_SLACK, what: `a spoken attempt may be at most ${b.attemptBytes} bytes (VOXLOG_MAX_ATTEMPT_AUDIO_BYTES)`, streamed: false };
  return { bytes: JSON_BODY_BYTES, what: `a request body here may be at most ${JSON_BODY_BYTES} bytes`, streamed: false };
}

/** Why a request's body is refused before it is read (413 over its route's bound, 411 chunked where a length is needed), or undefined. */
export function refuseBody(request: Request, path: string, b: BodyBounds): VoxError | undefined {
  if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return undefined;
  const bound = boundOf(path, b);
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    const length = Number(declared);
    return length > bound.bytes ? new PayloadTooLargeError(`the request body is ${length} bytes; ${bound.what}`) : undefined;
  }
  const chunked = request.headers.get('transfer-encoding')?.toLowerCase().includes('chunked') ?? false;
  if (chunked && !bound.streamed) return new LengthRequiredError(`send this request with a Content-Length (a chunked body is taken only by the upload routes); ${bound.what}`);
  return undefined;
}
