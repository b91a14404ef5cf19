import type { Projection } from '../projection';
import { historyProjection } from './history';
import { sessionsProjection } from './sessions';
import { transcriptionStatsProjection } from './transcription-stats';
import { usersProjection } from './users';

/** Every projection, in the order they run on each event (later ones may read earlier ones' tables). */
export const projections: readonly Projection[] = [historyProjection, sessionsProjection, transcriptionStatsProjection, usersProjection];
