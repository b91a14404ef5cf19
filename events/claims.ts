import { ConcurrencyError } from '../src/errors';
import type { EventStore } from './store';
import type { VoxEvent } from './types';

// Claims on a log several nodes share: a node appends a claim event (JobClaimed, TtsClaimed) at the
// stream's exact version, so of nodes claiming at once exactly one wins; a claim holds until its
// lease passes without a renewal, and then another node may claim the work.

/** A claim as a projection stores it: who holds the work, and until when. */
export interface Claim {
  readonly claimed_by: string | null;
  readonly lease_until: string | null;
}

/** Whether another node's claim still holds, so `node` must leave the work alone. */
export const heldElsewhere = (c: Claim, node: string, now = Date.now()): boolean => c.claimed_by !== null && c.claimed_by !== node && Date.parse(c.lease_until ?? '') > now;

/** When a claim of `leaseMs` made at `createdAt` (the event's time) lapses. */
export const leaseUntil = (createdAt: string, leaseMs: number): string => new Date(Date.parse(createdAt) + leaseMs).toISOString();

/**
 * Appends at the stream's version as this node reads it: of nodes doing so at once, one does.
 * Resolves true once stored, false when another writer moved the stream first; other failures reject.
 */
export function appendAtVersion(store: Pick<EventStore, 'append' | 'streamVersion'>, streamId: string, events: readonly VoxEvent[]): Promise<boolean> {
  return store.append(streamId, events, { expectedVersion: store.streamVersion(streamId) }).then(
    () => true,
    (err) => {
      if (err instanceof ConcurrencyError) return false;
      throw err;
    },
  );
}
