// Bun Worker entry: the punctuation model's own thread. It formats whole transcripts (jobs, the OpenAI
// and Deepgram file routes) and marks the words of live finals, so the model runs neither on the
// server's thread nor on an engine's, where a final would wait behind a batch of decoding.
import { formatSegments, type FormatContext, type Formatted, type FormatOptions, type SpokenWord } from './formatter';
import { Punctuator, type Marked, type Marker } from './punctuator';
import { SherpaPunctuation } from './sherpa-punctuation';
import { OWN, type PunctuationModel } from './choice';

declare const self: Worker;

export type ToFormatter =
  | { readonly type: 'format'; readonly id: number; readonly segments: readonly (readonly SpokenWord[])[]; readonly options: FormatOptions; readonly context: FormatContext; readonly after: readonly string[] }
  | { readonly type: 'mark'; readonly id: number; readonly words: readonly string[] }
  /** Which model to load (sent first; voxlog's own otherwise). */
  | { readonly type: 'use'; readonly model: PunctuationModel }
  | { readonly type: 'exit' };
export type FromFormatter =
  | { readonly type: 'formatted'; readonly id: number; readonly texts: Formatted[]; readonly context: FormatContext }
  | { readonly type: 'marked'; readonly id: number; readonly marks: Marked[] }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };

let model: PunctuationModel = OWN;
let punctuator: Promise<Marker> | undefined;
const load = async (): Promise<Marker> => (model.kind === 'sherpa' ? SherpaPunctuation.load(model.files) : Punctuator.load());

self.onmessage = async (e: MessageEvent<ToFormatter>) => {
  const m = e.data;
  if (m.type === 'exit') return void process.exit(0);
  if (m.type === 'use') return void (model = m.model);
  try {
    if (m.type === 'mark') {
      const marks = await (await (punctuator ??= load())).mark(m.words);
      return self.postMessage({ type: 'marked', id: m.id, marks } satisfies FromFormatter);
    }
    const marker = m.options.punctuate ? await (punctuator ??= load()) : undefined;
    const { texts, context } = await formatSegments(marker, m.segments, m.options, m.context, m.after);
    self.postMessage({ type: 'formatted', id: m.id, texts, context } satisfies FromFormatter);
  } catch (err) {
    punctuator = undefined;
    self.postMessage({ type: 'failed', id: m.id, message: err instanceof Error ? err.message : String(err) } satisfies FromFormatter);
  }
};
