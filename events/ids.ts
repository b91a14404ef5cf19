import { customAlphabet } from 'nanoid';

declare const brand: unique symbol;
/** A primitive that cannot be mixed up with another of the same runtime type. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type SessionId = Brand<string, 'SessionId'>;
export type EventId = Brand<string, 'EventId'>;
export type StreamId = Brand<string, 'StreamId'>;
/** Global position of an event in the log (1-based, gap-free in commit order). */
export type Position = Brand<number, 'Position'>;
/** Version of one stream: the number of events it holds after an append. */
export type StreamVersion = Brand<number, 'StreamVersion'>;

const alphabet = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 16);

export const newSessionId = (): SessionId => alphabet() as SessionId;
export const newEventId = (): EventId => crypto.randomUUID() as EventId;
export const sessionStream = (id: string): StreamId => `session-${id}` as StreamId;
export const engineStream = (modelId: string): StreamId => `engine-${modelId}` as StreamId;
export const userStream = (id: string): StreamId => `user-${id}` as StreamId;
export const newUserId = (): string => alphabet();
export const newKeyId = (): string => alphabet();
export const itemStream = (id: string): StreamId => `item-${id}` as StreamId;
export const attemptStream = (id: string): StreamId => `attempt-${id}` as StreamId;
export const ttsStream = (audioHash: string): StreamId => `tts-${audioHash}` as StreamId;
/** One stream per owner's tag list (`open` when auth is off). */
export const tagsStream = (owner: string | null): StreamId => `tags-${owner ?? 'open'}` as StreamId;
export const newItemId = (): string => alphabet();
export const newAttemptId = (): string => alphabet();
export const jobStream = (id: string): StreamId => `job-${id}` as StreamId;
/** Runtime changes an admin made to the jobs settings. */
export const JOB_SETTINGS_STREAM = 'jobs-settings' as StreamId;
export const newJobId = (): string => alphabet();
