// Words as the recogniser gave them and as the formatter wrote them: shared by session and job events.
import { type Static, Type as t } from '@sinclair/typebox';

const Ms = t.Integer({ minimum: 0, description: 'milliseconds of session audio' });

export const Word = t.Object({ word: t.String(), start_ms: Ms, end_ms: Ms });
export type Word = Static<typeof Word>;
/** A written word and the recogniser's words [from, to) of its segment it stands for, with their times. */
const WrittenWord = t.Object({ word: t.String(), start_ms: Ms, end_ms: Ms, from: t.Integer({ minimum: 0 }), to: t.Integer({ minimum: 1 }) });
export const Formatted = t.Object({ text: t.String(), words: t.Array(WrittenWord) });
export type Formatted = Static<typeof Formatted>;
/** What a transcript was asked to be written as: punctuation and case, numbers as figures. */
export const FormatRequest = t.Object({ punctuate: t.Boolean(), numerals: t.Boolean() });
