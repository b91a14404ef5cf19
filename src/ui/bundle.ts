import { join } from 'node:path';

/** One file of the web UI as the server hands it out. */
export interface UiAsset {
  /** The file name under /ui/. */
  readonly name: string;
  readonly type: string;
  readonly body: string;
  readonly etag: string;
}

const WEB = join(import.meta.dir, '..', '..', 'web');
/** What the page loads: the app (with its CSS) and the microphone's AudioWorklet, which must be its own module. */
export const UI_ENTRYPOINTS = [join(WEB, 'main.tsx'), join(WEB, 'mic', 'worklet.ts')];

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/** Bundles the web UI from TypeScript in memory with Bun's bundler (no files written, nothing fetched). */
export async function bundleUi(): Promise<UiAsset[]> {
  const result = await Bun.build({ entrypoints: UI_ENTRYPOINTS, target: 'browser', minify: true, naming: '[name].[ext]' });
  if (!result.success) throw new Error(`the web UI does not build:\n${result.logs.map(String).join('\n')}`);
  return Promise.all(
    result.outputs.map(async (out) => {
      const name = out.path.replace(/^.*\//, '');
      const body = await out.text();
      const ext = name.split('.').pop() ?? '';
      return { name, type: TYPES[ext] ?? 'application/octet-stream', body, etag: `"${Bun.hash(body).toString(36)}"` };
    }),
  );
}
