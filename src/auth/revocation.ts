// A connection lives as long as the credential it opened with holds: the moment the log says an API
// key was revoked or a user disabled (on this node or any other sharing the log), the sessions opened
// with it end. A JWT's expiry is checked when a connection opens, not during it: a session started
// with a valid token runs to its end, as with hosted services' temporary tokens.
import type { RecordedEvent } from '../../events/types';
import { CloseCode } from '../server/protocol';
import type { Principal } from './principal';

/** What this needs of a session: to end it, and to know when it ended. */
interface Ending {
  readonly done: Promise<unknown>;
  end(code: string, message: string, closeCode: number): Promise<void>;
}

/** The close code and reason a client sees when its credential stops holding. */
export const REVOKED = 'credential_revoked';

/** Live sessions by the credential that opened them. */
export class LiveCredentials {
  private readonly live = new Map<Ending, Principal>();

  /** Follows `session` until it ends (open access has no credential to revoke). */
  track(session: Ending, caller: Principal): void {
    if (caller.userId === null) return;
    this.live.set(session, caller);
    void session.done.then(() => this.live.delete(session));
  }

  /** Ends the sessions an event revokes the credential of: `ApiKeyRevoked`, or `UserDisabled` (disabled). */
  onEvent(e: RecordedEvent): void {
    if (e.type === 'ApiKeyRevoked') this.endWhere((p) => p.keyId === e.data.key_id, 'the API key this connection signed in with was revoked');
    else if (e.type === 'UserDisabled' && e.data.disabled) this.endWhere((p) => p.userId === e.data.user_id, 'the user this connection signed in as was disabled');
  }

  private endWhere(match: (p: Principal) => boolean, message: string): void {
    for (const [session, caller] of this.live) {
      if (!match(caller)) continue;
      this.live.delete(session);
      void session.end(REVOKED, message, CloseCode.policyViolation);
    }
  }
}
