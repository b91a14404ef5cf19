import { useState } from 'preact/hooks';
import { LevelMeter } from '../components/level';
import { ModelSelect, useModels } from '../components/models';
import { clock, ErrorNote, Field } from '../components/ui';
import type { LinkState } from '../live/connection';
import { useRecorder } from '../live/use-recorder';
import { Link } from '../router';
import type { ServerMessage } from '../types';

interface Line {
  readonly segment: number;
  readonly text: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly model: string;
}

function linkStatus(link: LinkState | null, phase: string): string {
  if (phase === 'starting') return 'Starting the microphone…';
  if (phase === 'stopping') return 'Finishing the last segment…';
  switch (link?.kind) {
    case undefined:
      return 'Press Record to transcribe your microphone.';
    case 'connecting':
      return 'Connecting…';
    case 'open':
      return link.resumed ? 'Reconnected: the session continues where it left off.' : 'Recording.';
    case 'reconnecting':
      return `Connection lost (${link.why}); reconnecting, try ${link.attempt}…`;
    case 'closed':
      return 'Stopped.';
  }
}

/** Live: the microphone to the recogniser, partials in place and finals appended with their times. */
export function LivePage() {
  const { models, defaultId, error: modelsError } = useModels();
  const [chosen, setChosen] = useState('');
  const model = chosen || defaultId;
  const [lines, setLines] = useState<Line[]>([]);
  const [partial, setPartial] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const [sessionId, setSessionId] = useState<string | null>(null);
  const [keep, setKeep] = useState(false);

  const onMessage = (m: ServerMessage) => {
    if (m.type === 'ready') setSessionId(m.session_id);
    if (m.type === 'partial') setPartial(m.text);
    if (m.type === 'final') {
      setPartial('');
      if (m.text) setLines((ls) => [...ls, { segment: m.segment, text: m.text, startMs: m.start_ms, endMs: m.end_ms, model: m.model_id }]);
    }
    if (m.type === 'model_switched') setNotice(`Switched from ${m.from_model_id} to ${m.model_id} at ${clock(m.at_ms)}.`);
    if (m.type === 'error') setNotice(`The server said: ${m.message} (${m.code})`);
  };
  const rec = useRecorder(onMessage);
  const recording = rec.phase === 'recording';

  const pick = (id: string) => {
    setChosen(id);
    if (recording) rec.switchModel(id);
  };
  const toggle = () => {
    if (recording) return void rec.stop();
    setLines([]);
    setPartial('');
    setNotice(null);
    setSessionId(null);
    void rec.start(model, undefined, keep);
  };

  return (
    <section aria-labelledby="live-title">
      <h1 id="live-title">Live transcription</h1>
      <div class="toolbar">
        <Field label="Model">
          <ModelSelect models={models} value={model} onChange={pick} />
        </Field>
        <button type="button" class={recording ? 'danger' : 'primary'} onClick={toggle} disabled={rec.phase === 'starting' || rec.phase === 'stopping' || !model}>
          {recording ? 'Stop' : 'Record'}
        </button>
        <label class="check" title="The server keeps this session's audio, so its page can play it back with the transcript, word by word">
          <input type="checkbox" checked={keep} disabled={recording} onChange={(e) => setKeep((e.target as HTMLInputElement).checked)} /> Keep the audio
        </label>
        <LevelMeter level={rec.level} />
      </div>
      <p class="status" role="status">
        {linkStatus(rec.link, rec.phase)}
        {sessionId && (
          <>
            {' '}
            Session <Link href={`/sessions/${sessionId}`}>{sessionId}</Link>
          </>
        )}
      </p>
      <ErrorNote error={modelsError} />
      {rec.problem && (
        <p class="note error" role="alert">
          {rec.problem}
        </p>
      )}
      {notice && <p class="note">{notice}</p>}
      <ol class="transcript" aria-label="transcript" aria-live="polite">
        {lines.map((l) => (
          <li key={l.segment} class="final" data-segment={l.segment} data-start-ms={l.startMs} data-end-ms={l.endMs}>
            <time>
              {clock(l.startMs)}–{clock(l.endMs)}
            </time>
            <span class="text">{l.text}</span>
          </li>
        ))}
        {partial && (
          <li class="partial" aria-live="off">
            <span class="text">{partial}</span>
          </li>
        )}
      </ol>
    </section>
  );
}
