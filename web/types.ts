// Shapes of the API's answers as the pages use them (the server's schemas are the full truth: /swagger).
export type { Job, Segment as JobSegment } from '../src/jobs/read';
export type { ServerMessage } from '../src/server/protocol';
export type { LoggedEvent, SessionDetail, SessionRow } from '../src/routes/sessions';
export type { ProgressDay as DayProgress } from '../src/dictation/stats/queries';

export interface Me {
  readonly user_id: string | null;
  readonly name: string;
  readonly role: 'admin' | 'user' | 'anonymous';
  readonly via: 'jwt' | 'api_key' | 'open' | 'none';
}

export interface Model {
  readonly id: string;
  readonly kind: string;
  readonly language: string;
  readonly description: string;
  readonly available: boolean;
  readonly loaded: boolean;
  readonly status: string;
  readonly error: string | null;
  readonly default: boolean;
}

export interface Item {
  readonly id: string;
  readonly locale: string;
  readonly text: string;
  readonly difficulty: number;
  readonly tags: readonly string[];
  readonly audio: { readonly status: string; readonly voice: string | null; readonly duration_ms: number | null; readonly error: string | null; readonly url: string };
  readonly attempts: number;
  readonly last_score: number | null;
  readonly best_score: number | null;
  readonly last_practiced_at: string | null;
}

export type WordMark = 'correct' | 'substituted' | 'missing' | 'extra';

export interface Attempt {
  readonly id: string;
  readonly item_id: string;
  readonly kind: string;
  readonly reference: string;
  readonly text: string;
  readonly wer: number;
  readonly cer: number;
  readonly accuracy: number;
  readonly words: readonly { mark: WordMark; ref: string | null; hyp: string | null }[];
  readonly created_at: string;
}

export interface Tag {
  readonly name: string;
  readonly items: number;
}

/** A page of a list: `items` (or `jobs`, ...) plus where it sits in the whole. */
export type Page<K extends string, T> = { readonly total: number; readonly limit: number; readonly offset: number } & { readonly [key in K]: readonly T[] };
