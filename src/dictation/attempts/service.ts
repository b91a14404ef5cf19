import type { Database } from 'bun:sqlite';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { attemptStream, newAttemptId, sessionStream } from '../../../events/ids';
import type { EventStore } from '../../../events/store';
import { event } from '../../../events/types';
import { asUploadError, openAudio } from '../../audio/input';
import { mayAccess, ownerMeta, type Principal } from '../../auth/principal';
import type { EngineRegistry } from '../../engine/registry';
import { transcribeFile } from '../../engine/transcribe-file';
import { NotFoundError, PayloadTooLargeError } from '../../errors';
import { scoreAttempt } from '../../scoring/score';
import type { Items } from '../items/service';
import { readAttempt, type Attempt } from './read';

/** Longest spoken attempt decoded: a dictation sentence, with room to spare. */
export const MAX_ATTEMPT_AUDIO_S = 300;

export interface AttemptDeps {
  readonly db: Database;
  readonly store: EventStore;
  readonly items: Items;
  readonly registry: EngineRegistry;
  readonly defaultModel: string;
  /** Where uploaded recordings wait while they are decoded. */
  readonly tmpDir: string;
  readonly maxUploadBytes: number;
}

interface Heard {
  readonly kind: 'typed' | 'spoken' | 'live';
  readonly text: string;
  readonly modelId: string | null;
  readonly audioMs: number | null;
  readonly sessionId: string | null;
}

/** Attempts: typed text, an uploaded recording, or a live session, each scored against its item into `AttemptScored`. */
export class Attempts {
  constructor(private readonly deps: AttemptDeps) {}

  async typed(caller: Principal, itemId: string, text: string, foldAccents: boolean): Promise<Attempt> {
    return this.record(caller, itemId, newAttemptId(), foldAccents, { kind: 'typed', text, modelId: null, audioMs: null, sessionId: null });
  }

  /** Decodes the upload through the engine pool, then scores its transcript. */
  async spoken(caller: Principal, itemId: string, file: Blob, modelId: string | undefined, foldAccents: boolean): Promise<Attempt> {
    this.deps.items.get(caller, itemId);
    if (file.size > this.deps.maxUploadBytes) throw new PayloadTooLargeError(`file is ${file.size} bytes; the most a spoken attempt may be is ${this.deps.maxUploadBytes} (VOXLOG_MAX_ATTEMPT_AUDIO_BYTES)`);
    mkdirSync(this.deps.tmpDir, { recursive: true });
    const path = join(this.deps.tmpDir, `attempt-${crypto.randomUUID()}`);
    try {
      await Bun.write(path, file);
      // Messages name the upload, never the server's temporary path.
      const unreadable = (what: string) => (err: unknown) => {
        throw asUploadError(err, path, `file${what}`);
      };
      const input = await openAudio(path, { maxDurationS: MAX_ATTEMPT_AUDIO_S }).catch(unreadable(''));
      const transcript = await transcribeFile(this.deps.registry, modelId ?? this.deps.defaultModel, input).catch(unreadable(' could not be decoded'));
      return await this.record(caller, itemId, newAttemptId(), foldAccents, { kind: 'spoken', text: transcript.text, modelId: transcript.modelId, audioMs: transcript.audioMs, sessionId: null });
    } finally {
      rmSync(path, { force: true });
    }
  }

  /** Whether a live session may practise `itemId` (checked when the socket opens). */
  mayPractise(caller: Principal, itemId: string): boolean {
    try {
      this.deps.items.get(caller, itemId);
      return true;
    } catch {
      return false;
    }
  }

  /** Scores a live session that practised an item, from its finals in the log, once it has closed. */
  async fromSession(caller: Principal, itemId: string, attemptId: string, sessionId: string): Promise<Attempt | null> {
    if (!this.mayPractise(caller, itemId)) return null; // deleted while the session ran
    const events = this.deps.store.readStream(sessionStream(sessionId));
    const finals = events.flatMap((e) => (e.type === 'SegmentFinalized' && e.data.text.trim() !== '' ? [e.data.text.trim()] : []));
    const closed = events.findLast((e) => e.type === 'SessionClosed');
    const audioMs = closed?.type === 'SessionClosed' ? closed.data.audio_ms : null;
    const modelId = closed?.type === 'SessionClosed' ? closed.data.model_id : null;
    return this.record(caller, itemId, attemptId, false, { kind: 'live', text: finals.join(' '), modelId, audioMs, sessionId });
  }

  get(caller: Principal, id: string): Attempt {
    const attempt = readAttempt(this.deps.db, id);
    if (!attempt || !mayAccess(caller, attempt.user_id)) throw new NotFoundError(`no attempt ${id}`, 'attempt_not_found');
    return attempt;
  }

  private async record(caller: Principal, itemId: string, attemptId: string, foldAccents: boolean, heard: Heard): Promise<Attempt> {
    const item = this.deps.items.get(caller, itemId);
    const score = scoreAttempt(item.text, heard.text, { locale: item.locale, foldAccents });
    const { reference_normalized: _r, hypothesis_normalized: _h, ...scored } = score;
    await this.deps.store.append(
      attemptStream(attemptId),
      [
        event(
          'AttemptScored',
          {
            attempt_id: attemptId,
            item_id: itemId,
            user_id: caller.userId,
            kind: heard.kind,
            locale: item.locale,
            reference: item.text,
            text: heard.text,
            model_id: heard.modelId,
            audio_ms: heard.audioMs,
            session_id: heard.sessionId,
            listen_ms: item.audio.status === 'ready' ? item.audio.duration_ms : null,
            fold_accents: foldAccents,
            ...scored,
            words: [...score.words],
          },
          ownerMeta(caller),
        ),
      ],
      { expectedVersion: 'no_stream' },
    );
    return this.get(caller, attemptId);
  }
}
