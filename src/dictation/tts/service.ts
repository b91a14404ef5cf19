import type { Database } from 'bun:sqlite';
import { createActor } from 'xstate';
import { ttsQueueMachine } from '../../../actors/tts.machine';
import { appendAtVersion, heldElsewhere, type Claim } from '../../../events/claims';
import { ttsStream } from '../../../events/ids';
import type { EventStore } from '../../../events/store';
import { event } from '../../../events/types';
import { AudioFiles } from './audio-files';
import { synthesize, TtsError } from './providers';
import { allVoices, type VoiceEnvironment } from './voices';

export interface TtsOptions {
  readonly voices: VoiceEnvironment;
  /** Where generated audio lives (`<data dir>/tts`). */
  readonly root: string;
  readonly concurrency: number;
  readonly maxTries: number;
  readonly retryBaseMs: number;
  readonly timeoutMs: number;
  /** This node's name: it claims the audio it makes, so nodes sharing a log make each once. */
  readonly node: string;
  /** How long a claim keeps other nodes off (longer than a synthesis may take). */
  readonly leaseMs: number;
}

interface AudioRow {
  readonly text: string;
  readonly locale: string;
  readonly voice: string;
  readonly speed: number;
  readonly status: string;
  readonly tries: number;
}

/**
 * Generates item audio in the background through the TTS queue actor, recording every outcome in
 * the log. Pending work is whatever the `tts_audio` projection says is pending, so a restart
 * picks up exactly what the log left unfinished.
 */
export class TtsService {
  readonly files: AudioFiles;
  private readonly actor;
  private stopped = false;
  private readonly stopping = new AbortController();
  /** Hashes whose file is being removed: a new request for one waits, then makes it again. */
  private readonly removing = new Map<string, Promise<void>>();
  private scanner: Timer | undefined;
  private unsubscribe: () => void = () => {};

  constructor(
    private readonly db: Database,
    private readonly store: EventStore,
    private readonly options: TtsOptions,
  ) {
    this.files = new AudioFiles(options.root);
    const machine = ttsQueueMachine.provide({
      actions: {
        synthesize: (_, p) => void this.run(p.hash),
        reportFailure: (_, p) => {
          if (this.stopped) return;
          void this.store
            .append(ttsStream(p.hash), [event('TtsFailed', { audio_hash: p.hash, reason: p.reason, attempt: p.attempt, retrying: p.retrying })])
            .catch((err) => console.error(`could not log TtsFailed for ${p.hash}: ${String(err)}`));
        },
      },
    });
    this.actor = createActor(machine, { input: { limit: options.concurrency, maxTries: options.maxTries, retryBaseMs: options.retryBaseMs } });
    this.actor.subscribe({ error: (err) => console.error('the TTS queue failed:', err) });
  }

  /**
   * Starts the queue with the audio the log says is still pending, then follows the log: audio
   * requested on another node joins this queue too, and so does audio whose claim lapsed (its node
   * died). Whoever claims it first makes it. Returns how many were pending.
   */
  start(): number {
    this.actor.start();
    const pending = this.pendingUnclaimed();
    for (const p of pending) this.actor.send({ type: 'REQUEST', hash: p.hash, tries: p.tries });
    this.unsubscribe = this.store.subscribe((e) => e.type === 'TtsRequested' && void this.request(e.data.audio_hash));
    this.scanner = setInterval(() => {
      for (const p of this.pendingUnclaimed()) this.actor.send({ type: 'REQUEST', hash: p.hash, tries: p.tries });
    }, Math.max(250, Math.min(this.options.leaseMs / 2, 10_000)));
    this.scanner.unref();
    return pending.length;
  }

  /** Pending audio no live claim holds. */
  private pendingUnclaimed(): { hash: string; tries: number }[] {
    return this.db
      .query(`SELECT hash, tries FROM tts_audio WHERE status = 'pending' AND (claimed_by IS NULL OR claimed_by = ? OR lease_until < ?) ORDER BY requested_at`)
      .all(this.options.node, new Date().toISOString()) as { hash: string; tries: number }[];
  }

  /** Claims `hash` for this node at its stream's exact version: of nodes claiming at once, one wins. */
  private async claim(hash: string): Promise<boolean> {
    const r = this.db.query('SELECT status, claimed_by, lease_until FROM tts_audio WHERE hash = ?').get(hash) as (Claim & { status: string }) | null;
    if (r?.status !== 'pending' || heldElsewhere(r, this.options.node)) return false;
    const claimed = event('TtsClaimed', { audio_hash: hash, node: this.options.node, lease_ms: this.options.leaseMs });
    return appendAtVersion(this.store, ttsStream(hash), [claimed]).catch((err) => {
      console.error(`could not claim audio ${hash}: ${String(err)}`);
      return false;
    });
  }

  stop(): void {
    clearInterval(this.scanner);
    this.unsubscribe();
    this.stopped = true;
    this.stopping.abort();
    this.actor.stop();
  }

  /** Queues `hash` when its audio is pending (call after its `TtsRequested` has committed). */
  async request(hash: string): Promise<void> {
    await this.removing.get(hash);
    if (this.row(hash)?.status === 'pending') this.actor.send({ type: 'REQUEST', hash });
  }

  /** Deletes the file for `hash` when no live item uses it any more. */
  async release(hash: string | null): Promise<void> {
    if (hash === null || this.removing.has(hash)) return;
    const users = this.db.query('SELECT COUNT(*) AS n FROM items WHERE audio_hash = ? AND deleted_at IS NULL').get(hash) as { n: number };
    if (users.n > 0 || this.row(hash)?.status !== 'ready') return;
    const removal = this.store.append(ttsStream(hash), [event('TtsAudioRemoved', { audio_hash: hash })]).then(() => this.files.remove(hash));
    // Requests for this hash wait for the removal either way; its failure goes to the caller alone.
    this.removing.set(hash, removal.then(() => undefined, () => undefined).finally(() => this.removing.delete(hash)));
    await removal;
  }

  /** Audio the log calls ready whose file is gone (a data directory restored without it) is marked removed, so a request makes it again. */
  async repairIfMissing(hash: string): Promise<void> {
    if (this.row(hash)?.status !== 'ready' || (await Bun.file(this.files.path(hash)).exists())) return;
    await this.store.append(ttsStream(hash), [event('TtsAudioRemoved', { audio_hash: hash })]);
  }

  private row(hash: string): AudioRow | null {
    return this.db.query('SELECT text, locale, voice, speed, status, tries FROM tts_audio WHERE hash = ?').get(hash) as AudioRow | null;
  }

  private async run(hash: string): Promise<void> {
    // Not claimed here (another node has it, or it is no longer pending): this queue is done with it.
    if (!(await this.claim(hash))) return void this.actor.send({ type: 'SUCCEEDED', hash });
    const row = this.row(hash);
    const voice = allVoices(this.options.voices).find((v) => v.id === row?.voice);
    try {
      if (!row || !voice) throw new TtsError(`voice ${row?.voice ?? '?'} is no longer known`, false);
      const t0 = performance.now();
      const facts = await this.files.produce(hash, (tmp) => synthesize(voice, row.text, row.speed, tmp, this.options.voices, { timeoutMs: this.options.timeoutMs, signal: this.stopping.signal }));
      if (this.stopped) return; // still pending in the log: the next start makes it again
      await this.store.append(ttsStream(hash), [
        event('TtsCompleted', { audio_hash: hash, ...facts, provider: voice.provider, voice: voice.id, synthesis_ms: Math.round(performance.now() - t0) }),
      ]);
    } catch (err) {
      if (this.stopped) return;
      const transient = err instanceof TtsError ? err.transient : true;
      return void this.actor.send({ type: 'FAILED', hash, reason: err instanceof Error ? err.message : String(err), transient });
    }
    this.actor.send({ type: 'SUCCEEDED', hash });
    // Every item that wanted it may have been deleted (or refreshed) while it was being made.
    await this.release(hash).catch((err) => console.error(`could not remove unused audio ${hash}: ${String(err)}`));
  }
}
