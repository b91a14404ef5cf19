import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, join } from 'node:path';
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

export class PullError extends Error {}

/**
 * Downloads a catalog model into `modelsDir/<id>`: resumes a partial download, verifies the
 * checksum (catalog, else the release's published digest), unpacks .tar.bz2 archives and checks
 * every file the model needs is there. A download whose checksum is wrong is deleted.
 */
export async function pullModel(entry: CatalogEntry, modelsDir: string, options: { force?: boolean; onProgress?: (p: PullProgress) => void } = {}): Promise<PullResult> {
  if (!entry.url) throw new PullError(`${entry.id} has no download URL (it is a local fixture)`);
  const target = join(modelsDir, entry.id);
  if (existsSync(target) && !options.force && locateModel(entry, [modelsDir]).available) throw new PullError(`${entry.id} is already in ${target} (use --force to download again)`);
  const downloads = join(modelsDir, '.downloads');
  mkdirSync(downloads, { recursive: true });
  const file = basename(new URL(entry.url).pathname);
  const part = join(downloads, `${file}.part`);

  const expected = entry.sha256 ? { sha256: entry.sha256.toLowerCase(), by: 'catalog' as const } : await releaseDigest(entry.url);
  const { bytes, resumedFrom } = await download(entry.url, part, options.onProgress);
  const sha256 = await hashFile(part);
  if (expected && expected.sha256 !== sha256) {
    rmSync(part, { force: true });
    throw new PullError(`checksum mismatch for ${file}: expected ${expected.sha256}, got ${sha256}; the download was deleted, run the pull again`);
  }

  const staging = join(downloads, `${entry.id}.unpack`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  if (file.endsWith('.tar.bz2')) await untar(part, staging);
  else renameSync(part, join(staging, file));
  const unpacked = folderHolding(staging, Object.values(entry.files));
  if (!unpacked) {
    rmSync(staging, { recursive: true, force: true });
    throw new PullError(`${file} does not contain ${Object.values(entry.files).join(', ')}`);
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(unpacked, target);
  rmSync(staging, { recursive: true, force: true });
  rmSync(part, { force: true });
  const verifiedBy = expected?.by ?? 'none published (recorded)';
  writeFileSync(join(target, 'SOURCE.json'), `${JSON.stringify({ url: entry.url, sha256, verified_by: verifiedBy, pulled_at: new Date().toISOString() }, null, 2)}\n`);
  const check = locateModel(entry, [modelsDir]);
  if (!check.available) throw new PullError(check.reason);
  return { dir: target, sha256, verifiedBy, bytes, resumedFrom };
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
    throw new PullError(`download of ${url} was interrupted at ${received} bytes (${(err as Error).message}); run the pull again to resume`);
  } finally {
    await out.close();
  }
  if (total !== undefined && received !== total) throw new PullError(`download of ${url} ended at ${received} of ${total} bytes; run the pull again to resume`);
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

