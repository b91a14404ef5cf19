// Serves a file with `ETag` and single `Range` requests (what <audio> elements and players ask for).
import { statSync } from 'node:fs';

/**
 * A response for `path`: 200, 206 for a satisfiable range, 304 when the client's copy is current, 416
 * otherwise. The ETag is the caller's (a content hash) or else the file's size and modification time.
 */
export function rangedFile(request: Request, path: string, contentType: string, knownEtag?: string): Response {
  const { size, mtimeMs } = statSync(path);
  const etag = knownEtag ?? `"${size}-${Math.floor(mtimeMs)}"`;
  const common = { etag, 'accept-ranges': 'bytes', 'cache-control': 'private, max-age=0, must-revalidate' };
  const match = request.headers.get('if-none-match');
  if (match !== null && match.split(',').some((m) => m.trim().replace(/^W\//, '') === etag || m.trim() === '*')) return new Response(null, { status: 304, headers: common });
  const range = request.headers.get('range');
  const ifRange = request.headers.get('if-range');
  // A range against an older copy of the file would splice two versions: send the whole file instead.
  if (range === null || (ifRange !== null && ifRange !== etag)) {
    return new Response(Bun.file(path), { headers: { ...common, 'content-type': contentType, 'content-length': String(size) } });
  }
  const span = parseRange(range, size);
  if (!span) return new Response(null, { status: 416, headers: { ...common, 'content-range': `bytes */${size}` } });
  const [start, end] = span;
  return new Response(Bun.file(path).slice(start, end + 1), {
    status: 206,
    headers: { ...common, 'content-type': contentType, 'content-length': String(end - start + 1), 'content-range': `bytes ${start}-${end}/${size}` },
  });
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` as an inclusive [start, end], or null when it cannot be served (several ranges included). */
export function parseRange(header: string, size: number): [number, number] | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '') || size === 0) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    return n === 0 ? null : [Math.max(0, size - n), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start < size && start <= end ? [start, end] : null;
}
