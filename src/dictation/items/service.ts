import type { Database } from 'bun:sqlite';
import { Value } from '@sinclair/typebox/value';
import { itemStream, newItemId } from '../../../events/ids';
import type { EventStore } from '../../../events/store';
import { event, type VoxEvent } from '../../../events/types';
import { mayAccess, ownerMeta, type Principal } from '../../auth/principal';
import { NotFoundError, ValidationError } from '../../errors';
import { audioHash } from '../tts/audio-files';
import type { TtsService } from '../tts/service';
import { canonicalLocale, chooseVoice, SUPPORTED_LOCALES, type VoiceEnvironment } from '../tts/voices';
import { inferDifficulty } from './difficulty';
import { findItem } from './read';
import { ItemInput, type Item } from './schemas';

/** An item request that passed every check, ready to become events. */
interface CheckedItem {
  readonly locale: string;
  readonly text: string;
  readonly difficulty: number;
  readonly inferred: boolean;
  readonly tags: string[];
  readonly voice: string;
  readonly speed: number;
}

/** Trimmed, de-duplicated tags in the order given. */
export const cleanTags = (tags: readonly string[]): string[] => [...new Set(tags.map((t) => t.trim().normalize('NFC')).filter(Boolean))];

/** Items: commands append to `item-<id>` streams and hand audio to the TTS queue; reads come from projections. */
export class Items {
  constructor(
    private readonly db: Database,
    private readonly store: EventStore,
    private readonly tts: TtsService,
    private readonly voices: VoiceEnvironment,
  ) {}

  /** Checks one request beyond its schema (locale, voice, text after trimming); throws naming the field. */
  check(input: typeof ItemInput.static): CheckedItem {
    const text = input.text.trim();
    if (text === '') throw new ValidationError('text is empty');
    const locale = canonicalLocale(input.locale);
    if (!locale) throw new ValidationError(`locale ${JSON.stringify(input.locale)} is not supported; supported locales: ${SUPPORTED_LOCALES.join(', ')}`, 'unsupported_locale');
    const choice = chooseVoice(locale, input.voice, this.voices);
    if ('error' in choice) throw new ValidationError(`voice: ${choice.error}`, 'unsupported_voice');
    return {
      locale,
      text,
      difficulty: input.difficulty ?? inferDifficulty(text, locale),
      inferred: input.difficulty === undefined,
      tags: cleanTags(input.tags ?? []),
      voice: choice.voice.id,
      speed: input.speed ?? 1,
    };
  }

  /** Creates an item and queues its audio. */
  async create(caller: Principal, input: typeof ItemInput.static): Promise<Item> {
    return this.append(caller, this.check(input));
  }

  /** Creates every valid row; each row gets its item or the reason it was refused. */
  async createMany(caller: Principal, rows: readonly unknown[]): Promise<({ index: number; item: Item } | { index: number; error: { code: string; message: string } })[]> {
    type Checked = { index: number; ok: CheckedItem } | { index: number; error: { code: string; message: string } };
    const checked = rows.map((row, index): Checked => {
      const problem = Value.Errors(ItemInput, row).First();
      if (problem) return { index, error: { code: 'validation_failed', message: rowProblem(problem) } };
      try {
        return { index, ok: this.check(row as typeof ItemInput.static) };
      } catch (err) {
        const e = err as ValidationError;
        return { index, error: { code: e.code, message: e.message } };
      }
    });
    return Promise.all(checked.map(async (c) => ('ok' in c ? { index: c.index, item: await this.append(caller, c.ok) } : c)));
  }

  /** A live item the caller may see, or 404 (another user's item is answered as missing). */
  get(caller: Principal, id: string): Item {
    return this.find(caller, id).item;
  }

  /** The item and the content hash of its audio (the file's key). */
  find(caller: Principal, id: string): { item: Item; audioHash: string | null } {
    const found = findItem(this.db, id);
    if (!found || !mayAccess(caller, found.item.user_id)) throw new NotFoundError(`no item ${id}`, 'item_not_found');
    return found;
  }

  async setDifficulty(caller: Principal, id: string, difficulty: number): Promise<Item> {
    this.get(caller, id);
    await this.store.append(itemStream(id), [event('ItemUpdated', { item_id: id, difficulty }, ownerMeta(caller))]);
    return this.get(caller, id);
  }

  async setTags(caller: Principal, id: string, tags: readonly string[]): Promise<Item> {
    this.get(caller, id);
    await this.store.append(itemStream(id), [event('ItemUpdated', { item_id: id, tags: cleanTags(tags) }, ownerMeta(caller))]);
    return this.get(caller, id);
  }

  /** Deletes the item; its attempts stay (marked), its audio file goes unless another item shares it. */
  async delete(caller: Principal, id: string): Promise<void> {
    const { audioHash } = this.find(caller, id);
    await this.store.append(itemStream(id), [event('ItemDeleted', { item_id: id }, ownerMeta(caller))]);
    await this.tts.release(audioHash);
  }

  /** Asks for the item's audio again, with another voice or speed (or the same, to retry a failure). */
  async refreshAudio(caller: Principal, id: string, options: { voice?: string; speed?: number }): Promise<Item> {
    const { item, audioHash: current } = this.find(caller, id);
    // Without a voice named, keep the item's voice while it can speak, else take the locale's default.
    const kept = options.voice === undefined && item.audio.voice !== null ? chooseVoice(item.locale, item.audio.voice, this.voices) : undefined;
    const choice = kept && 'voice' in kept ? kept : chooseVoice(item.locale, options.voice, this.voices);
    if ('error' in choice) throw new ValidationError(`voice: ${choice.error}`, 'unsupported_voice');
    const speed = options.speed ?? item.audio.speed ?? 1;
    const hash = audioHash(item.text, item.locale, choice.voice.id, speed);
    if (hash === current) await this.tts.repairIfMissing(hash);
    await this.store.append(itemStream(id), [event('TtsRequested', { item_id: id, audio_hash: hash, text: item.text, locale: item.locale, voice: choice.voice.id, speed }, ownerMeta(caller))]);
    if (hash !== current) await this.tts.release(current);
    await this.tts.request(hash);
    return this.get(caller, id);
  }

  private async append(caller: Principal, c: CheckedItem): Promise<Item> {
    const id = newItemId();
    const hash = audioHash(c.text, c.locale, c.voice, c.speed);
    const events: VoxEvent[] = [
      event('ItemCreated', { item_id: id, user_id: caller.userId, locale: c.locale, text: c.text, difficulty: c.difficulty, difficulty_inferred: c.inferred, tags: c.tags }, ownerMeta(caller)),
      event('TtsRequested', { item_id: id, audio_hash: hash, text: c.text, locale: c.locale, voice: c.voice, speed: c.speed }, ownerMeta(caller)),
    ];
    await this.store.append(itemStream(id), events, { expectedVersion: 'no_stream' });
    await this.tts.request(hash);
    return this.get(caller, id);
  }
}

/** The owner in an event's metadata, so the log can be filtered by it. */

function rowProblem(problem: { path: string; message: string; schema: { error?: unknown } }): string {
  const field = problem.path.replace(/^\//, '').split('/')[0] || 'row';
  const text = typeof problem.schema.error === 'string' ? problem.schema.error : `${field}: ${problem.message}`;
  return text.startsWith(field) ? text : `${field}: ${text}`;
}
