import { Elysia } from 'elysia';
import { errorBody, RateLimitedError, VoxError } from '../errors';

/** Maps every failure to `{ error: { code, message } }` with the right status. */
export const errorHandling = new Elysia({ name: 'errors' }).onError({ as: 'global' }, ({ code, error, set }) => {
  if (error instanceof VoxError) {
    set.status = error.status;
    if (error.status === 401) set.headers['www-authenticate'] = 'Bearer';
    if (error instanceof RateLimitedError) set.headers['retry-after'] = String(error.retryAfterS);
    return errorBody(error.code, error.message);
  }
  switch (code) {
    case 'VALIDATION':
      set.status = 400;
      return errorBody('validation_failed', validationMessage(error));
    case 'NOT_FOUND':
      set.status = 404;
      return errorBody('not_found', 'no such route');
    case 'PARSE':
      set.status = 400;
      return errorBody('malformed_body', 'the request body could not be parsed');
    default:
      console.error('unhandled request error:', error);
      set.status = 500;
      return errorBody('internal_error', 'internal server error');
  }
});

/** The schema's own `error` text where it has one (Elysia puts it in `message`), else the first detail. */
function validationMessage(error: unknown): string {
  const e = error as { type?: string; all?: { path?: string; summary?: string; message?: string; schema?: { error?: string } }[]; message?: string };
  const first = e.all?.[0];
  if (!first) return 'invalid request';
  return first.schema?.error ?? `${e.type ?? 'request'} ${first.path || ''}: ${first.summary ?? first.message}`.replace(' :', ':');
}
