import type { Projection } from '../projection';
import { historyProjection } from './history';
import { sessionsProjection } from './sessions';
import { transcriptionStatsProjection } from './transcription-stats';
import { usersProjection } from './users';
import { attemptsProjection } from '../../src/dictation/attempts/projection';
import { itemsProjection } from '../../src/dictation/items/projection';
import { tagsProjection } from '../../src/dictation/tags/projection';
import { ttsAudioProjection } from '../../src/dictation/tts/projection';
import { jobsProjection } from '../../src/jobs/projection';

/** Every projection, in the order they run on each event (later ones may read earlier ones' tables). */
export const projections: readonly Projection[] = [
  historyProjection,
  sessionsProjection,
  transcriptionStatsProjection,
  usersProjection,
  // items before tags (tags reads an item's owner) and before attempts (an attempt on a deleted item is marked).
  itemsProjection,
  tagsProjection,
  ttsAudioProjection,
  attemptsProjection,
  jobsProjection,
];
