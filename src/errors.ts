/** Base of the small error hierarchy that routes map to HTTP statuses and sockets to error messages. */
export class VoxError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends VoxError {
  constructor(message: string, code = 'validation_failed') {
    super(code, message, 400);
  }
}

export class NotFoundError extends VoxError {
  constructor(message: string, code = 'not_found') {
    super(code, message, 404);
  }
}

/** An append whose expected stream version did not hold. */
export class ConcurrencyError extends VoxError {
  constructor(
    readonly streamId: string,
    readonly expected: string | number,
    readonly actual: number,
  ) {
    super('wrong_expected_version', `stream ${streamId}: expected version ${expected}, found ${actual}`, 412);
  }
}

/** A projection failed on an event; the append that carried it was rolled back. */
export class ProjectionError extends VoxError {
  constructor(projection: string, eventType: string, cause: unknown) {
    super('projection_failed', `projection ${projection} failed on ${eventType}: ${String(cause)}`, 500);
  }
}

export class UnauthorizedError extends VoxError {
  constructor(message: string, code = 'unauthorized') {
    super(code, message, 401);
  }
}

export class ForbiddenError extends VoxError {
  constructor(message: string, code = 'forbidden') {
    super(code, message, 403);
  }
}

export class ConflictError extends VoxError {
  constructor(message: string, code = 'conflict') {
    super(code, message, 409);
  }
}

export class PayloadTooLargeError extends VoxError {
  constructor(message: string, code = 'payload_too_large') {
    super(code, message, 413);
  }
}

/** A body that must say how long it is before it is read (411). */
export class LengthRequiredError extends VoxError {
  constructor(message: string, code = 'length_required') {
    super(code, message, 411);
  }
}

export class UnsupportedMediaError extends VoxError {
  constructor(message: string, code = 'unsupported_media') {
    super(code, message, 415);
  }
}

export class RateLimitedError extends VoxError {
  constructor(
    message: string,
    readonly retryAfterS: number,
    code = 'rate_limited',
  ) {
    super(code, message, 429);
  }
}

export class UnavailableError extends VoxError {
  constructor(message: string, code = 'unavailable') {
    super(code, message, 503);
  }
}

/** The `{ error: { code, message } }` body every failed request returns. */
export const errorBody = (code: string, message: string) => ({ error: { code, message } });

/** The same failure in OpenAI's shape, for the `/v1/*` compatibility routes. */
export const openAiErrorBody = (code: string, message: string, status: number) => ({
  error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code },
});

/** Deepgram's error shape (`/v1/listen`): a short category in `err_code`, what went wrong in `err_msg`. */
export const deepgramErrorBody = (code: string, message: string, status: number) => ({
  err_code: DEEPGRAM_CODES[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'Bad Request'),
  err_msg: message,
  request_id: crypto.randomUUID(),
  voxlog_code: code,
});
const DEEPGRAM_CODES: Record<number, string> = { 401: 'INVALID_AUTH', 403: 'INSUFFICIENT_PERMISSIONS', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA', 429: 'TOO_MANY_REQUESTS' };

/** Something that existed and was removed for good (an expired job's results). */
export class GoneError extends VoxError {
  constructor(message: string, code = 'gone') {
    super(code, message, 410);
  }
}
