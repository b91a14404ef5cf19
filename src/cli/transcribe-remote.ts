// `bun run transcribe --server`: a job through the API, followed over SSE, then downloaded.
import { command } from '../program';

/** A failure talking to the server; `fatal` when no later file could fare better (unreachable, credentials). */
export class RemoteError extends Error {
  constructor(
    message: string,
    readonly fatal = false,
  ) {
    super(message);
  }
}

export interface RemoteRequest {
  readonly server: string;
  readonly token: string | undefined;
  readonly file: string;
  readonly model: string | undefined;
  readonly format: string;
  /** The recogniser's words as they came (no punctuation, case or figures). */
  readonly raw: boolean;
  readonly onProgress: (fraction: number, detail: string) => void;
}

export interface RemoteTranscript {
  readonly body: string;
  /** Audio the server decoded, and the time the job took there from its start to its end. */
  readonly audioMs: number;
  readonly processingMs: number;
}

/** Submits `file`, follows the job to its end, and returns the transcript in `format`. */
export async function transcribeRemote(r: RemoteRequest): Promise<RemoteTranscript> {
  const headers: Record<string, string> = r.token ? { authorization: `Bearer ${r.token}` } : {};
  const form = new FormData();
  form.append('file', Bun.file(r.file), r.file.split('/').at(-1));
  if (r.model) form.append('model', r.model);
  form.append('client', 'cli');
  if (r.raw) form.append('format', 'false');
  const job = (await call(r, `/api/v1/jobs`, { method: 'POST', body: form, headers })) as { id: string };
  const events = await fetchOrExplain(r.server, `${r.server}/api/v1/jobs/${job.id}/events`, { headers });
  let end: { status: string } | undefined;
  let error = '';
  let buffered = '';
  for await (const piece of events.body!.pipeThrough(new TextDecoderStream())) {
    buffered += piece;
    let at: number;
    while ((at = buffered.indexOf('\n\n')) >= 0) {
      const data = buffered.slice(0, at).split('\n').find((l) => l.startsWith('data: '));
      buffered = buffered.slice(at + 2);
      if (!data) continue;
      const m = JSON.parse(data.slice(6)) as { type: string; progress?: number; chunks_done?: number; chunks_found?: number; status?: string; level?: string; message?: string };
      if (m.type === 'progress') r.onProgress(m.progress ?? 0, `chunk ${m.chunks_done} of ${m.chunks_found}`);
      if (m.type === 'log' && m.level === 'error') error = m.message ?? '';
      if (m.type === 'end') end = { status: m.status ?? 'unknown' };
    }
  }
  if (end?.status !== 'completed') throw new RemoteError(`job ${job.id} ${end?.status ?? 'stopped reporting'}${error ? `: ${error}` : ''}`);
  const done = (await call(r, `/api/v1/jobs/${job.id}`, { headers })) as { audio_ms: number | null; processing_ms: number | null };
  const download = await fetchOrExplain(r.server, `${r.server}/api/v1/jobs/${job.id}/download?format=${r.format}`, { headers });
  if (!download.ok) throw new RemoteError(await reason(download));
  const body = r.format === 'json' ? `${JSON.stringify(await download.json(), null, 2)}\n` : await download.text();
  return { body, audioMs: done.audio_ms ?? 0, processingMs: done.processing_ms ?? 0 };
}

async function call(r: RemoteRequest, path: string, init: RequestInit): Promise<unknown> {
  const res = await fetchOrExplain(r.server, `${r.server}${path}`, init);
  if (res.status === 401 || res.status === 403) throw new RemoteError(`the server refused the credentials: ${await reason(res)} (pass --token or set VOXLOG_TOKEN)`, true);
  if (!res.ok) throw new RemoteError(await reason(res));
  return res.json();
}

async function fetchOrExplain(server: string, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ConnectionRefused' || code === 'ECONNREFUSED') throw new RemoteError(`connection refused: no server is listening at ${server} (start one with: ${command('start')})`, true);
    throw new RemoteError(`cannot reach ${server}: ${(err as Error).message}`, true);
  }
}

const reason = async (res: Response): Promise<string> => {
  const text = await res.text();
  try {
    return `${res.status}: ${(JSON.parse(text) as { error: { message: string } }).error.message}`;
  } catch {
    return `${res.status}: ${text.slice(0, 200)}`;
  }
};
