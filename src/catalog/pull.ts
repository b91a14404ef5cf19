import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CatalogEntry } from '../../models/catalog';
import { locateModel } from '../engine/model-files';

export interface PullProgress {
  readonly received: number;
  readonly total: number | undefined;
  readonly resumedFrom: number;
}

export interface PullResult {
  readonly dir: string;
  readonly sha256: string;
  /** Where the checksum that was checked came from. */
  readonly verifiedBy: 'catalog' | 'release digest' | 'none published (recorded)';
  readonly bytes: number;
  readonly resumedFrom: number;
}

export class PullError extends Error {
  /** A transfer cut short: its partial download is kept so the next pull continues it. */
  constructor(
    message: string,
    readonly resumable = false,
  ) {
    super(message);
  }
}

/** A model that is on disk already and was not downloaded again. */
export class AlreadyPulled extends Error {}

/**
 * Downloads a catalog model into `modelsDir/<id>`: resumes a partial download, verifies the
 * checksum (catalog, else the release's published digest), unpacks .tar.bz2 archives and checks
 * every file the model needs is there. A download whose checksum is wrong is deleted.
 */
export async function pullModel(entry: CatalogEntry, modelsDir: string, options: { force?: boolean; onProgress?: (p: PullProgress) => void } = {}): Promise<PullResult> {
  if (!entry.url) throw new PullError(`${entry.id} has no download: it ${entry.source ?? 'comes from a local folder, not an upstream release'}`);
  const target = join(modelsDir, entry.id);
  if (!options.force && locateModel(entry, [modelsDir]).available) throw new AlreadyPulled(`${entry.id} is already in ${target}; nothing downloaded (--force downloads it again)`);
  const downloads = join(modelsDir, '.downloads');
  const file = basename(new URL(entry.url).pathname);
  const part = join(downloads, `${file}.part`);
  const staging = join(downloads, `${entry.id}.unpack`);
  const createdModelsDir = !existsSync(modelsDir);
  try {
    mkdirSync(downloads, { recursive: true });
    return await fetchAndInstall(entry, entry.url, part, staging, target, options.onProgress);
  } catch (err) {
    // Leave nothing behind but a partial download the next pull can continue.
    rmSync(staging, { recursive: true, force: true });
    if (!(err instanceof PullError && err.resumable)) rmSync(part, { force: true });
    removeIfEmpty(downloads);
    if (createdModelsDir) removeIfEmpty(modelsDir);
    throw err;
  }
}

async function fetchAndInstall(entry: CatalogEntry, url: string, part: string, staging: string, target: string, onProgress?: (p: PullProgress) => void): Promise<PullResult> {
  const file = basename(new URL(url).pathname);
  const expected = entry.sha256 ? { sha256: entry.sha256.toLowerCase(), by: 'catalog' as const } : await releaseDigest(url);
  const { bytes, resumedFrom } = await download(url, part, onProgress);
  const sha256 = await hashFile(part);
  if (expected && expected.sha256 !== sha256) throw new PullError(`checksum mismatch for ${file}: expected ${expected.sha256}, got ${sha256}; the download was deleted, run the pull again`);

  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  if (file.endsWith('.tar.bz2')) await untar(part, staging);
  else renameSync(part, join(staging, file));
  const unpacked = folderHolding(staging, Object.values(entry.files));
  if (!unpacked) throw new PullError(`${file} does not contain ${Object.values(entry.files).join(', ')}`);
  rmSync(target, { recursive: true, force: true });
  renameSync(unpacked, target);
  rmSync(staging, { recursive: true, force: true });
  rmSync(part, { force: true });
  removeIfEmpty(dirname(part));
  const verifiedBy = expected?.by ?? 'none published (recorded)';
  writeFileSync(join(target, 'SOURCE.json'), `${JSON.stringify({ url, sha256, verified_by: verifiedBy, pulled_at: new Date().toISOString() }, null, 2)}\n`);
  const check = locateModel(entry, [dirname(target)]);
  if (!check.available) {
    rmSync(target, { recursive: true, force: true });
    throw new PullError(check.reason);
  }
  return { dir: target, sha256, verifiedBy, bytes, resumedFrom };
}

function removeIfEmpty(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
}

/** Downloads `url` into `part`, continuing from what is already there when the server allows it. */
async function download(url: string, part: string, onProgress?: (p: PullProgress) => void): Promise<{ bytes: number; resumedFrom: number }> {
  let have = existsSync(part) ? statSync(part).size : 0;
  let res: Response;
  try {
    res = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {} });
  } catch (err) {
    throw new PullError(`cannot reach ${url}: ${(err as Error).message}`);
  }
  if (res.status === 416 && have > 0) return { bytes: have, resumedFrom: have }; // already complete
  if (res.status === 200 && have > 0) {
    // The server ignored the range: start over.
    rmSync(part, { force: true });
    have = 0;
  } else if (res.status !== 200 && res.status !== 206) {
    throw new PullError(`download of ${url} failed: HTTP ${res.status} ${res.statusText}`);
  }
  const length = Number(res.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? length + have : undefined;
  const resumedFrom = have;
  let received = have;
  const out = await open(part, 'a');
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      await out.write(chunk);
      received += chunk.length;
      onProgress?.({ received, total, resumedFrom });
    }
  } catch (err) {
    throw new PullError(`download of ${url} was interrupted at ${received} bytes (${(err as Error).message}); run the pull again to resume`, received > 0);
  } finally {
    await out.close();
  }
  if (total !== undefined && received !== total) throw new PullError(`download of ${url} ended at ${received} of ${total} bytes; run the pull again to resume`, true);
  return { bytes: received, resumedFrom };
}

/** The SHA-256 digest GitHub publishes for a release asset, when the URL is one and the API answers. */
async function releaseDigest(url: string): Promise<{ sha256: string; by: 'release digest' } | undefined> {
  const m = /^https:\/\/github\.com\/([^/]+)\/([^/]+)\/releases\/download\/([^/]+)\/([^/]+)$/.exec(url);
  if (!m) return undefined;
  const [, owner, repo, tag, name] = m;
  try {
    const res = await fetch(`https://api.github.com/repos/${owner}/${repo}/releases/tags/${tag}`, { headers: { Accept: 'application/vnd.github+json' }, signal: AbortSignal.timeout(15_000) });
    if (!res.ok) return undefined;
    const release = (await res.json()) as { assets?: { name: string; digest?: string }[] };
    const digest = release.assets?.find((a) => a.name === name)?.digest;
    return digest?.startsWith('sha256:') ? { sha256: digest.slice(7).toLowerCase(), by: 'release digest' } : undefined;
  } catch {
    return undefined;
  }
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function untar(archive: string, into: string): Promise<void> {
  const p = Bun.spawn(['tar', '-xjf', archive, '-C', into], { stderr: 'pipe' });
  const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
  if (code !== 0) throw new PullError(`could not unpack ${basename(archive)}: ${err.trim() || `tar exited ${code}`}`);
}

/** The folder under `root` (itself or one level down) that holds every one of `files`. */
function folderHolding(root: string, files: readonly string[]): string | undefined {
  const candidates = [root, ...readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(root, d.name))];
  return candidates.find((dir) => files.every((f) => existsSync(join(dir, f))));
}

