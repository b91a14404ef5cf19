import type { Word } from '../../events/types';
import type { Post } from './decoder';

/**
 * Says `utterance_end` once no word has come for `gapMs` after the last final's last word: the end
 * of a turn, which waits longer than the end of a segment (Deepgram's UtteranceEnd means the same).
 */
export class UtteranceWatch {
  /** The end of the last final's last word, while no word has come after it. */
  private lastWordEndMs: number | undefined;

  constructor(
    private readonly streamId: string,
    /** 0: never said. */
    private readonly gapMs: number,
    private readonly post: Post,
  ) {}

  /** A final's words: the turn's words so far end with its last. */
  final(words: readonly Word[], endMs: number): void {
    if (this.gapMs > 0) this.lastWordEndMs = words.at(-1)?.end_ms ?? endMs;
  }

  /** Words are being heard again: the turn goes on. */
  words(): void {
    this.lastWordEndMs = undefined;
  }

  /** The stream's audio has reached `atMs`. */
  advance(atMs: number, seq: number): void {
    const last = this.lastWordEndMs;
    if (last === undefined || atMs - last < this.gapMs) return;
    this.lastWordEndMs = undefined;
    this.post({ type: 'utterance_end', streamId: this.streamId, seq, lastWordEndMs: last, atMs: Math.round(atMs) });
  }
}
