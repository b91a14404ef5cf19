import type { Database } from 'bun:sqlite';
import { Elysia, t } from 'elysia';
import { tagsStream } from '../../../events/ids';
import type { EventStore } from '../../../events/store';
import { event } from '../../../events/types';
import { callerOf, ownerMeta, type Principal } from '../../auth/principal';
import { ConflictError, NotFoundError, ValidationError } from '../../errors';
import { cleanTags } from '../items/service';
import { TagName } from '../items/schemas';

const TagSchema = t.Object({ name: t.String(), items: t.Integer({ description: 'live items carrying the tag' }), created_at: t.String() });

/** Tags belong to their owner (every user has their own set; with auth off there is one set). */
const ownerKey = (caller: Principal): string => caller.userId ?? '';

/** The owner's tags with their live item counts; only `name` when it is given. */
function tagsOf(db: Database, owner: string, name?: string) {
  return db
    .query(
      `SELECT g.name, g.created_at, (SELECT COUNT(*) FROM item_tags it JOIN items i ON i.id = it.item_id
         WHERE it.tag = g.name AND i.deleted_at IS NULL AND COALESCE(i.user_id, '') = g.owner) AS items
       FROM tags g WHERE g.owner = $owner AND ($name IS NULL OR g.name = $name) ORDER BY g.name`,
    )
    .all({ owner, name: name ?? null }) as (typeof TagSchema.static)[];
}

/** `POST/GET/DELETE /api/v1/tags`: the caller's tags; deleting one takes it off every item. */
export const tagRoutes = (db: Database, store: EventStore) =>
  new Elysia({ name: 'tags', prefix: '/api/v1' })
    .post(
      '/tags',
      async ({ body, request, set }) => {
        const caller = callerOf(request);
        const [name] = cleanTags([body.name]);
        if (!name) throw new ValidationError('name is empty');
        if (tagsOf(db, ownerKey(caller), name).length > 0) throw new ConflictError(`tag ${JSON.stringify(name)} already exists`, 'tag_exists');
        await store.append(tagsStream(caller.userId), [event('TagCreated', { user_id: caller.userId, name }, ownerMeta(caller))]);
        set.status = 201;
        return tagsOf(db, ownerKey(caller), name)[0]!;
      },
      { body: t.Object({ name: TagName }), response: { 201: TagSchema }, detail: { summary: 'Create a tag (409 if you have it already)', tags: ['dictation'] } },
    )
    .get('/tags', ({ request }) => ({ tags: tagsOf(db, ownerKey(callerOf(request))) }), {
      response: t.Object({ tags: t.Array(TagSchema) }),
      detail: { summary: 'Your tags, with how many items carry each', tags: ['dictation'] },
    })
    .delete(
      '/tags/:name',
      async ({ params, request, set }) => {
        const caller = callerOf(request);
        if (tagsOf(db, ownerKey(caller), params.name).length === 0) throw new NotFoundError(`no tag ${JSON.stringify(params.name)}`, 'tag_not_found');
        await store.append(tagsStream(caller.userId), [event('TagDeleted', { user_id: caller.userId, name: params.name }, ownerMeta(caller))]);
        set.status = 204;
      },
      { params: t.Object({ name: TagName }), detail: { summary: 'Delete a tag and take it off every item of yours', tags: ['dictation'] } },
    );
