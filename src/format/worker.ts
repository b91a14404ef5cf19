// Bun Worker entry: the punctuation model's own thread. It formats whole transcripts (jobs, the OpenAI
// and Deepgram file routes) and marks the words of live finals, so the model runs neither on the
// server's thread nor on an engine's, where a final would wait behind a batch of decoding.
import { formatSegments, type FormatContext, type Formatted, type FormatOptions, type SpokenWord } from './formatter';
import { Punctuator, type Marked } from './punctuator';

declare const self: Worker;

export type ToFormatter =
  | { readonly type: 'format'; readonly id: number; readonly segments: readonly (readonly SpokenWord[])[]; readonly options: FormatOptions; readonly context: FormatContext; readonly after: readonly string[] }
  | { readonly type: 'mark'; readonly id: number; readonly words: readonly string[] }
  | { readonly type: 'exit' };
export type FromFormatter =
  | { readonly type: 'formatted'; readonly id: number; readonly texts: Formatted[]; readonly context: FormatContext }
  | { readonly type: 'marked'; readonly id: number; readonly marks: Marked[] }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };

let punctuator: Promise<Punctuator> | undefined;

self.onmessage = async (e: MessageEvent<ToFormatter>) => {
  const m = e.data;
  if (m.type === 'exit') return void process.exit(0);
  try {
    if (m.type === 'mark') {
      const marks = await (await (punctuator ??= Punctuator.load())).mark(m.words);
      return self.postMessage({ type: 'marked', id: m.id, marks } satisfies FromFormatter);
    }
    const model = m.options.punctuate ? await (punctuator ??= Punctuator.load()) : undefined;
    const { texts, context } = await formatSegments(model, m.segments, m.options, m.context, m.after);
    self.postMessage({ type: 'formatted', id: m.id, texts, context } satisfies FromFormatter);
  } catch (err) {
    punctuator = undefined;
    self.postMessage({ type: 'failed', id: m.id, message: err instanceof Error ? err.message : String(err) } satisfies FromFormatter);
  }
};
