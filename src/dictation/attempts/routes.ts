import type { Database } from 'bun:sqlite';
import { Elysia, t } from 'elysia';
import { callerOf, ownerFilter } from '../../auth/principal';
import { ValidationError } from '../../errors';
import { idField, idFilter, idParams, pageQuery } from '../../routes/paging';
import { MAX_TEXT_CHARS } from '../items/schemas';
import { AttemptSchema, listAttempts } from './read';
import type { Attempts } from './service';
import { Instant, timeWindow } from '../stats/window';

const Flag = t.Optional(t.Union([t.Boolean(), t.Literal('true'), t.Literal('false')], { error: 'fold_accents must be true or false' }));

/** Attempts: typed (JSON) or spoken (multipart with an audio file), scored at once; and reading them back. */
export const attemptRoutes = (db: Database, attempts: Attempts) =>
  new Elysia({ name: 'attempts', prefix: '/api/v1' })
    .post(
      '/attempts',
      async ({ body, request, set }) => {
        const caller = callerOf(request);
        const fold = body.fold_accents === true || body.fold_accents === 'true';
        set.status = 201;
        if (body.file !== undefined) {
          if (body.text !== undefined) throw new ValidationError('send either text (a typed attempt) or file (a spoken one), not both');
          return attempts.spoken(caller, body.item_id, body.file, body.model, fold);
        }
        if (body.text === undefined) throw new ValidationError('text is required for a typed attempt (or send file as multipart/form-data for a spoken one)');
        return attempts.typed(caller, body.item_id, body.text, fold);
      },
      {
        body: t.Object({
          item_id: idField('item_id', 64),
          text: t.Optional(t.String({ maxLength: MAX_TEXT_CHARS * 2, error: `text must be at most ${MAX_TEXT_CHARS * 2} characters` })),
          file: t.Optional(t.File({ error: 'file must be an audio file' })),
          model: t.Optional(t.String({ minLength: 1, maxLength: 200, error: 'model must be a model id from GET /api/v1/models' })),
          fold_accents: Flag,
        }),
        response: { 201: AttemptSchema },
        detail: {
          summary: 'Make an attempt: JSON {item_id, text} for typed, multipart {item_id, file, model?} for spoken',
          description:
            'A spoken attempt is transcribed by the model (default: the server default) through the engine pool, then scored like a typed one. ' +
            'Both sides are normalised (NFKC, case, punctuation, English numbers spelled out, accents folded when fold_accents is true) before WER and CER. ' +
            'Silence scores WER 1 with an empty transcript. Not audio: 415.',
          tags: ['dictation'],
        },
      },
    )
    .get(
      '/attempts',
      ({ query, request }) => {
        const { since, until } = timeWindow(query.since, query.until);
        const { items, total } = listAttempts(db, { owner: ownerFilter(callerOf(request)), itemId: query.item_id, sessionId: query.session_id, since, until, limit: query.limit, offset: query.offset });
        return { items, total, limit: query.limit, offset: query.offset };
      },
      {
        query: t.Object({
          ...pageQuery,
          item_id: idFilter('item_id', 64),
          session_id: idFilter('session_id', 64),
          since: Instant('since'),
          until: Instant('until'),
        }),
        response: t.Object({ items: t.Array(AttemptSchema), total: t.Integer(), limit: t.Integer(), offset: t.Integer() }),
        detail: { summary: 'Attempts, newest first: by item, by live session, in a time window', tags: ['dictation'] },
      },
    )
    .get('/attempts/:id', ({ params, request }) => attempts.get(callerOf(request), params.id), {
      params: idParams('attempt'),
      response: AttemptSchema,
      detail: { summary: 'One attempt with its score and per-word feedback', tags: ['dictation'] },
    });
