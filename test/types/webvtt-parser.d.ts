// webvtt-parser ships no types; these cover what the subtitle tests use.
declare module 'webvtt-parser' {
  export interface ParsedCue {
    readonly startTime: number;
    readonly endTime: number;
    readonly text: string;
  }
  export class WebVTTParser {
    parse(input: string, mode?: 'metadata' | 'chapters'): { cues: ParsedCue[]; errors: { message: string; line: number }[] };
  }
}
