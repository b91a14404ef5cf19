import { valueOf } from '../components/form';
import { useState } from 'preact/hooks';
import { ApiError, authHeaders } from '../api';
import { ModelSelect, useModels } from '../components/models';
import { ErrorNote, Field } from '../components/ui';
import type { Job } from '../types';

/** POSTs a form with XMLHttpRequest, the one browser API that reports upload progress. */
function send(form: FormData, onProgress: (fraction: number) => void): Promise<Job> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/jobs');
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      const body = JSON.parse(xhr.responseText || 'null') as Job & { error?: { code: string; message: string } };
      if (xhr.status < 300) return resolve(body);
      reject(new ApiError(xhr.status, body?.error?.code ?? `http_${xhr.status}`, body?.error?.message ?? `upload failed (${xhr.status})`));
    };
    xhr.onerror = () => reject(new Error('the upload was cut off: the server could not be reached'));
    xhr.send(form);
  });
}

/** Upload a recording as a job, with a progress bar for the upload itself. */
export function UploadJob({ onSubmitted }: { readonly onSubmitted: (job: Job) => void }) {
  const { models, defaultId } = useModels();
  const [model, setModel] = useState('');
  const [priority, setPriority] = useState('normal');
  const [sent, setSent] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const formEl = e.target as HTMLFormElement;
    const file = (formEl.elements.namedItem('file') as HTMLInputElement).files?.[0];
    if (!file) return setError(new Error('choose a file first'));
    const form = new FormData();
    form.append('model', model || defaultId);
    form.append('priority', priority);
    form.append('client', 'web');
    form.append('file', file, file.name);
    setError(null);
    setSent(0);
    try {
      onSubmitted(await send(form, setSent));
      formEl.reset();
    } catch (err) {
      setError(err);
    } finally {
      setSent(null);
    }
  };
  return (
    <form class="card" onSubmit={submit} aria-label="upload a recording">
      <h2>Transcribe a recording</h2>
      <div class="toolbar">
        <Field label="Audio or video file">
          <input type="file" name="file" accept="audio/*,video/*,.wav,.mp3,.m4a,.flac,.ogg,.opus,.webm" required />
        </Field>
        <Field label="Model">
          <ModelSelect models={models} value={model || defaultId} onChange={setModel} />
        </Field>
        <Field label="Priority">
          <select value={priority} onChange={(e) => setPriority(valueOf(e))}>
            <option value="high">high</option>
            <option value="normal">normal</option>
            <option value="low">low</option>
          </select>
        </Field>
        <button class="primary" type="submit" disabled={sent !== null}>
          Upload
        </button>
      </div>
      {sent !== null && (
        <label class="field wide">
          <span>Uploading {Math.round(sent * 100)} %</span>
          <progress max={1} value={sent} />
        </label>
      )}
      <ErrorNote error={error} />
    </form>
  );
}
