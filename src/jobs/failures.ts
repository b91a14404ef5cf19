import { AudioInputError, AudioTooLongError } from '../audio/input';
import { VoxError } from '../errors';

/** Why a run ended without a transcript, and whether running it again could help. */
export interface RunFailure {
  readonly code: string;
  readonly message: string;
  readonly permanent: boolean;
}

/** Codes of typed errors that no retry can fix: the audio or the model is wrong, not the moment. */
const PERMANENT_CODES = new Set(['unknown_model', 'unsupported_model', 'model_unavailable', 'model_load_failed', 'upload_missing']);

/** Sorts a run's error into permanent (bad audio, unknown or broken model) or transient (crash, timeout, a full server). */
export function classify(err: unknown, timedOut: boolean, timeoutS: number): RunFailure {
  if (timedOut) return { code: 'timeout', message: `the run took longer than ${timeoutS} s (VOXLOG_JOB_TIMEOUT_S)`, permanent: false };
  if (err instanceof AudioTooLongError) return { code: 'audio_too_long', message: `${err.message} (VOXLOG_MAX_JOB_AUDIO_S)`, permanent: true };
  if (err instanceof AudioInputError) return { code: 'unreadable_audio', message: err.message, permanent: true };
  if (err instanceof VoxError) return { code: err.code, message: err.message, permanent: PERMANENT_CODES.has(err.code) };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err), permanent: false };
}
