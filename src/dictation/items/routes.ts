import type { Database } from 'bun:sqlite';
import { existsSync } from 'node:fs';
import { Elysia, t } from 'elysia';
import { callerOf, ownerFilter } from '../../auth/principal';
import { ConflictError, NotFoundError, ValidationError } from '../../errors';
import { idParams, pageQuery } from '../../routes/paging';
import { rangedFile } from '../../routes/ranged-file';
import type { TtsService } from '../tts/service';
import { canonicalLocale } from '../tts/voices';
import { listItems } from './read';
import { AudioInfo, Difficulty, Item, ItemInput, MAX_BULK, Speed, Tags, VoiceId } from './schemas';
import type { Items } from './service';

const ItemId = idParams('item');
const ErrorShape = t.Object({ code: t.String(), message: t.String() });
const BulkResult = t.Object({ index: t.Integer(), item: t.Optional(Item), error: t.Optional(ErrorShape) });
const bool = (name: string) => t.Optional(t.Union([t.Literal('true'), t.Literal('false')], { error: `${name} must be true or false` }));

/** Dictation items: CRUD, bulk, filters, tags, difficulty, and their generated audio. */
export const itemRoutes = (db: Database, items: Items, tts: TtsService) =>
  new Elysia({ name: 'items', prefix: '/api/v1' })
    .post(
      '/items',
      async ({ body, request, set }) => {
        set.status = 202;
        return items.create(callerOf(request), body);
      },
      { body: ItemInput, response: { 202: Item }, detail: { summary: 'Create an item; its audio is generated in the background', tags: ['dictation'] } },
    )
    .post(
      '/items/bulk',
      async ({ body, request, set }) => {
        const results = await items.createMany(callerOf(request), body.items);
        const created = results.filter((r) => 'item' in r).length;
        // 202 when anything was made (its audio is queued); 400 when every row was refused.
        set.status = created > 0 ? 202 : 400;
        return { created, failed: results.length - created, results };
      },
      {
        body: t.Object({ items: t.Array(t.Unknown(), { minItems: 1, maxItems: MAX_BULK, error: `items must be an array of 1 to ${MAX_BULK} item objects` }) }),
        response: { 202: t.Object({ created: t.Integer(), failed: t.Integer(), results: t.Array(BulkResult) }), 400: t.Object({ created: t.Integer(), failed: t.Integer(), results: t.Array(BulkResult) }) },
        detail: { summary: `Create up to ${MAX_BULK} items; each row succeeds or fails on its own`, tags: ['dictation'] },
      },
    )
    .get(
      '/items',
      ({ query, request }) => {
        const locale = query.locale === undefined ? undefined : canonicalLocale(query.locale);
        if (locale === null) throw new ValidationError(`locale ${JSON.stringify(query.locale)} is not supported`, 'unsupported_locale');
        if (query.difficulty_min !== undefined && query.difficulty_max !== undefined && query.difficulty_min > query.difficulty_max) {
          throw new ValidationError('difficulty_min must not be above difficulty_max');
        }
        const tags = query.tags?.split(',').map((s) => s.trim()).filter(Boolean);
        const { items: page, total } = listItems(db, {
          owner: ownerFilter(callerOf(request)),
          locale,
          tags,
          tagsMode: query.tags_mode ?? 'any',
          difficultyMin: query.difficulty_min,
          difficultyMax: query.difficulty_max,
          practiced: query.practiced === undefined ? undefined : query.practiced === 'true',
          q: query.q,
          sort: query.sort ?? 'created',
          order: query.order ?? 'desc',
          limit: query.limit,
          offset: query.offset,
        });
        return { items: page, total, limit: query.limit, offset: query.offset };
      },
      {
        query: t.Object({
          ...pageQuery,
          locale: t.Optional(t.String({ minLength: 1, maxLength: 35, error: 'locale must be a language tag such as en-US' })),
          tags: t.Optional(t.String({ minLength: 1, maxLength: 1000, error: 'tags must be a comma-separated list' })),
          tags_mode: t.Optional(t.Union([t.Literal('any'), t.Literal('all')], { error: 'tags_mode must be any or all' })),
          difficulty_min: t.Optional(Difficulty),
          difficulty_max: t.Optional(Difficulty),
          practiced: bool('practiced'),
          q: t.Optional(t.String({ minLength: 1, maxLength: 200, error: 'q must be 1 to 200 characters' })),
          sort: t.Optional(t.Union([t.Literal('created'), t.Literal('difficulty'), t.Literal('last_practiced')], { error: 'sort must be created, difficulty or last_practiced' })),
          order: t.Optional(t.Union([t.Literal('asc'), t.Literal('desc')], { error: 'order must be asc or desc' })),
        }),
        response: t.Object({ items: t.Array(Item), total: t.Integer(), limit: t.Integer(), offset: t.Integer() }),
        detail: { summary: 'Items, filtered, sorted and paged', tags: ['dictation'] },
      },
    )
    .get('/items/:id', ({ params, request }) => items.get(callerOf(request), params.id), {
      params: ItemId,
      response: Item,
      detail: { summary: 'One item with its audio status and attempt aggregates', tags: ['dictation'] },
    })
    .patch('/items/:id/difficulty', ({ params, body, request }) => items.setDifficulty(callerOf(request), params.id, body.difficulty), {
      params: ItemId,
      body: t.Object({ difficulty: Difficulty }),
      response: Item,
      detail: { summary: "Set an item's difficulty (1 to 5)", tags: ['dictation'] },
    })
    .patch('/items/:id/tags', ({ params, body, request }) => items.setTags(callerOf(request), params.id, body.tags), {
      params: ItemId,
      body: t.Object({ tags: Tags }),
      response: Item,
      detail: { summary: "Replace an item's tags", tags: ['dictation'] },
    })
    .delete(
      '/items/:id',
      async ({ params, request, set }) => {
        await items.delete(callerOf(request), params.id);
        set.status = 204;
      },
      { params: ItemId, detail: { summary: 'Delete an item (its attempts stay in the stats, marked deleted)', tags: ['dictation'] } },
    )
    .get(
      '/items/:id/audio',
      ({ params, request }) => {
        const { item, audioHash } = items.find(callerOf(request), params.id);
        const audio = item.audio;
        if (audio.status === 'failed') throw new ConflictError(`the audio for item ${item.id} could not be generated: ${audio.error}; POST /api/v1/items/${item.id}/audio/refresh tries again`, 'audio_failed');
        const sha = audioHash && (db.query("SELECT file_sha256 FROM tts_audio WHERE hash = ? AND status = 'ready'").get(audioHash) as { file_sha256: string } | null)?.file_sha256;
        if (!sha) throw new ConflictError(`the audio for item ${item.id} is not ready yet (${audio.status}); GET /api/v1/items/${item.id}/tts-status`, 'audio_not_ready');
        const path = tts.files.path(audioHash!);
        if (!existsSync(path)) throw new NotFoundError(`the audio file for item ${item.id} is missing from the data directory; POST /api/v1/items/${item.id}/audio/refresh makes it again`, 'audio_missing');
        return rangedFile(request, path, 'audio/wav', `"${sha}"`);
      },
      { params: ItemId, detail: { summary: "The item's audio as WAV (Range requests and ETag supported)", tags: ['dictation'] } },
    )
    .get('/items/:id/tts-status', ({ params, request }) => items.get(callerOf(request), params.id).audio, {
      params: ItemId,
      response: AudioInfo,
      detail: { summary: "Where the item's audio stands: pending, ready or failed (with the reason)", tags: ['dictation'] },
    })
    .post(
      '/items/:id/audio/refresh',
      async ({ params, body, request, set }) => {
        set.status = 202;
        return items.refreshAudio(callerOf(request), params.id, body ?? {});
      },
      {
        params: ItemId,
        body: t.Optional(t.Object({ voice: t.Optional(VoiceId), speed: t.Optional(Speed) })),
        response: { 202: Item },
        detail: { summary: "Generate the item's audio again, with another voice or speed", tags: ['dictation'] },
      },
    );
