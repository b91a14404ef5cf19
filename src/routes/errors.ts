import { Elysia } from 'elysia';
import { deepgramErrorBody, errorBody, openAiErrorBody, RateLimitedError, VoxError } from '../errors';

/** Maps every failure to `{ error: { code, message } }` (OpenAI's or Deepgram's shape on their routes) with the right status. */
export const errorHandling = new Elysia({ name: 'errors' }).onError({ as: 'global' }, ({ code, error, set, request }) => {
  const path = new URL(request.url).pathname;
  // Each compatible API answers in its own shape; status is read late (it is set below).
  const foreign = path === '/v1/listen' ? deepgramErrorBody : path.startsWith('/v1/') ? openAiErrorBody : undefined;
  const body = foreign ? (c: string, m: string) => foreign(c, m, Number(set.status) || 500) : errorBody;
  if (error instanceof VoxError) {
    set.status = error.status;
    if (error.status === 401) set.headers['www-authenticate'] = 'Bearer';
    if (error instanceof RateLimitedError) set.headers['retry-after'] = String(error.retryAfterS);
    return body(error.code, error.message);
  }
  switch (code) {
    case 'VALIDATION':
      set.status = 400;
      return body('validation_failed', validationMessage(error));
    case 'NOT_FOUND':
      set.status = 404;
      return body('not_found', 'no such route');
    case 'PARSE':
      set.status = 400;
      return body('malformed_body', 'the request body could not be parsed');
    default:
      console.error('unhandled request error:', error);
      set.status = 500;
      return body('internal_error', 'internal server error');
  }
});

/** The schema's own `error` text where it has one (Elysia puts it in `message`), else the first detail. */
function validationMessage(error: unknown): string {
  const e = error as { type?: string; all?: { path?: string; summary?: string; message?: string; schema?: { error?: string } }[]; message?: string };
  const first = e.all?.[0];
  if (!first) return 'invalid request';
  return first.schema?.error ?? `${e.type ?? 'request'} ${first.path || ''}: ${first.summary ?? first.message}`.replace(' :', ':');
}
