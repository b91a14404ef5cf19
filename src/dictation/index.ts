// The dictation trainer (seed "Last Whisper"): items with generated speech, attempts scored by
// WER, tags and progress. Everything is in the event log; every view is a projection.
import type { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { Elysia, type AnyElysia } from 'elysia';
import type { EventStore } from '../../events/store';
import type { Config } from '../config';
import type { EngineRegistry } from '../engine/registry';
import type { Practice } from '../server/ws';
import { attemptRoutes } from './attempts/routes';
import { Attempts } from './attempts/service';
import { itemRoutes } from './items/routes';
import { Items } from './items/service';
import { dictationStatsRoutes } from './stats/routes';
import { tagRoutes } from './tags/routes';
import { ttsRoutes } from './tts/routes';
import { TtsService } from './tts/service';
import type { VoiceEnvironment } from './tts/voices';

export interface Dictation {
  readonly routes: AnyElysia;
  readonly tts: TtsService;
  /** What the WebSocket route needs to score live sessions opened with `item_id`. */
  readonly practice: Practice;
  /** Settles when every live session already closed has been scored (shutdown waits for it). */
  scored(): Promise<unknown>;
}

/** Builds the dictation services and their routes over the shared store and engine pool. */
export function dictation(config: Config, db: Database, store: EventStore, registry: EngineRegistry, defaultModel: string): Dictation {
  const d = config.dictation;
  const voices: VoiceEnvironment = { catalog: config.catalog, modelDirs: config.modelDirs, flite: d.flite, espeak: d.espeak };
  const tts = new TtsService(db, store, { voices, root: join(config.filesDir, 'tts'), concurrency: d.ttsConcurrency, maxTries: d.ttsMaxTries, retryBaseMs: d.ttsRetryMs, timeoutMs: d.ttsTimeoutMs, node: config.nodeId, leaseMs: d.ttsTimeoutMs + config.nodeLeaseMs });
  const items = new Items(db, store, tts, voices);
  const attempts = new Attempts({ db, store, items, registry, defaultModel, tmpDir: join(config.dataDir, 'tmp'), maxUploadBytes: d.maxAttemptAudioBytes });
  const routes = new Elysia({ name: 'dictation' })
    .use(itemRoutes(db, items, tts))
    .use(attemptRoutes(db, attempts))
    .use(dictationStatsRoutes(db))
    .use(tagRoutes(db, store))
    .use(ttsRoutes(voices));
  // Live practice sessions are scored after they close, in the background.
  const scoring = new Set<Promise<unknown>>();
  const practice: Practice = {
    mayPractise: (caller, itemId) => attempts.mayPractise(caller, itemId),
    score: (caller, itemId, attemptId, sessionId) => {
      const p: Promise<unknown> = attempts
        .fromSession(caller, itemId, attemptId, sessionId)
        .catch((err) => console.error(`could not score session ${sessionId} as attempt ${attemptId}: ${String(err)}`))
        .finally(() => scoring.delete(p));
      scoring.add(p);
    },
  };
  return { routes, tts, practice, scored: () => Promise.all(scoring) };
}
