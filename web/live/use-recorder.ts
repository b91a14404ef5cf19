import { useEffect, useRef, useState } from 'preact/hooks';
import { micProblem, startMic, type Mic } from '../mic/recorder';
import type { ServerMessage } from '../types';
import { LiveConnection, type LinkState } from './connection';

const WORKLET_URL = '/ui/worklet.js';

export type RecorderPhase = 'idle' | 'starting' | 'recording' | 'stopping';

/** The microphone streamed to /ws/transcribe, as component state: phase, connection, input level, problems. */
export function useRecorder(onMessage: (m: ServerMessage) => void) {
  const [phase, setPhase] = useState<RecorderPhase>('idle');
  const [link, setLink] = useState<LinkState | null>(null);
  const [level, setLevel] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);
  const mic = useRef<Mic | null>(null);
  const conn = useRef<LiveConnection | null>(null);
  const handler = useRef(onMessage);
  handler.current = onMessage;

  const release = async () => {
    const m = mic.current;
    mic.current = null;
    await m?.stop();
    setLevel(0);
  };

  const start = async (model: string, itemId?: string, record = false) => {
    setProblem(null);
    setPhase('starting');
    try {
      mic.current = await startMic(WORKLET_URL, { onAudio: (frame, peak) => (conn.current?.send(frame), setLevel(peak)) });
    } catch (err) {
      setProblem(micProblem(err));
      setPhase('idle');
      return;
    }
    const { encoding, sampleRate } = mic.current;
    conn.current = new LiveConnection(
      { model, encoding, sampleRate, itemId, record },
      {
        onMessage: (m) => handler.current(m),
        onState: (s) => {
          setLink(s);
          if (s.kind !== 'closed') return;
          if (s.why) setProblem(s.why);
          conn.current = null;
          void release().then(() => setPhase('idle'));
        },
      },
    );
    setPhase('recording');
  };

  const stop = async () => {
    setPhase('stopping');
    await release();
    await conn.current?.finish();
  };

  useEffect(() => () => void (conn.current?.finish(), release()), []);

  return { phase, link, level, problem, start, stop, switchModel: (m: string) => conn.current?.switchModel(m) };
}
