// Bun Worker entry: formats whole transcripts (jobs, the OpenAI and Deepgram file routes) off the
// server's thread. A live stream's finals are formatted in its engine worker instead (final-writer.ts).
import { formatSegments, type FormatContext, type Formatted, type FormatOptions, type SpokenWord } from './formatter';
import { Punctuator } from './punctuator';

declare const self: Worker;

export type ToFormatter = { readonly type: 'format'; readonly id: number; readonly segments: readonly (readonly SpokenWord[])[]; readonly options: FormatOptions; readonly context: FormatContext; readonly after: readonly string[] } | { readonly type: 'exit' };
export type FromFormatter = { readonly type: 'formatted'; readonly id: number; readonly texts: Formatted[]; readonly context: FormatContext } | { readonly type: 'failed'; readonly id: number; readonly message: string };

let punctuator: Promise<Punctuator> | undefined;

self.onmessage = async (e: MessageEvent<ToFormatter>) => {
  const m = e.data;
  if (m.type === 'exit') return void process.exit(0);
  try {
    const model = m.options.punctuate ? await (punctuator ??= Punctuator.load()) : undefined;
    const { texts, context } = await formatSegments(model, m.segments, m.options, m.context, m.after);
    self.postMessage({ type: 'formatted', id: m.id, texts, context } satisfies FromFormatter);
  } catch (err) {
    punctuator = undefined;
    self.postMessage({ type: 'failed', id: m.id, message: err instanceof Error ? err.message : String(err) } satisfies FromFormatter);
  }
};
