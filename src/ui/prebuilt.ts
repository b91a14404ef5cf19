import type { UiAsset } from './bundle';

/**
 * The web UI bundled ahead of time. From source it is null and the server bundles the UI when the page
 * is first asked for; `bun run build` replaces this module with the bundle, so the binary carries it.
 */
export const prebuilt: readonly UiAsset[] | null = null;
