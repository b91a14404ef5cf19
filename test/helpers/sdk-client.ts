// A vendor SDK's client in a process of its own, so that TLS trust (NODE_EXTRA_CA_CERTS, the test's
// self-signed certificate) is set for it alone: `bun test/helpers/sdk-client.ts <sdk> '<json>'`.
// It streams the raw audio file it is given and prints one JSON line: what the SDK handed it.
import { readFileSync } from 'node:fs';

export interface SdkRun {
  /** The server's https:// URL. */
  readonly url: string;
  readonly key: string;
  /** Headerless audio in the encoding below. */
  readonly audioPath: string;
  readonly sampleRate: number;
  readonly encoding?: string;
  /** Bytes per frame (LiveKit: ms to wait between its 100 ms frames). */
  readonly chunkBytes: number;
  /** Extra parameters for the SDK's connect call. */
  readonly params?: Record<string, unknown>;
  /** Ask for an end of turn (ForceEndpoint / commit) after the audio, before closing. */
  readonly forceEnd?: boolean;
  /** OpenAI: one more client event, sent after the session update. */
  readonly extraEvent?: object;
}

/** AssemblyAI's StreamingTranscriber with the API key, or (`temporary`) with a token its SDK asked the server for. */
async function assemblyai(run: SdkRun, temporary = false) {
  const { AssemblyAI, StreamingTranscriber } = await import('assemblyai');
  const events: { type: string; [k: string]: unknown }[] = [];
  const token = temporary ? await new AssemblyAI({ apiKey: run.key, baseUrl: run.url, streamingBaseUrl: run.url }).streaming.createTemporaryToken({ expires_in_seconds: 60 }) : undefined;
  const transcriber = new StreamingTranscriber({
    websocketBaseUrl: `${run.url.replace(/^https/, 'wss')}/v3/ws`,
    ...(token ? { token } : { apiKey: run.key }),
    sampleRate: run.sampleRate,
    encoding: (run.encoding ?? 'pcm_s16le') as never,
    connectTimeout: 10_000,
    ...run.params,
  });
  transcriber.on('turn', (t) => events.push({ ...t }));
  transcriber.on('error', (e) => events.push({ type: 'SdkError', message: String(e) }));
  const closed = new Promise<{ code: number; reason: string }>((r) => transcriber.on('close', (code: number, reason: string) => r({ code, reason })));
  const begin = await transcriber.connect();
  const audio = readFileSync(run.audioPath);
  for (let i = 0; i < audio.length; i += run.chunkBytes) transcriber.sendAudio(new Uint8Array(audio.subarray(i, i + run.chunkBytes)).buffer);
  if (run.forceEnd) transcriber.forceEndpoint();
  await transcriber.close(true, 30_000);
  return { begin, events, token, close: await Promise.race([closed, Bun.sleep(5000).then(() => null)]) };
}

async function openai(run: SdkRun) {
  const { default: OpenAI } = await import('openai');
  const { OpenAIRealtimeWS } = await import('openai/realtime/ws');
  const client = new OpenAI({ apiKey: run.key, baseURL: `${run.url}/v1` });
  const rt = new OpenAIRealtimeWS({ intent: 'transcription' } as never, client);
  const events: { type: string; [k: string]: unknown }[] = [];
  const errors: string[] = [];
  rt.on('error', (e) => errors.push(String(e)));
  rt.on('event', (e) => events.push(e as never));
  await new Promise<void>((r) => rt.socket.on('open', () => r()));
  rt.send({ type: 'session.update', session: { type: 'transcription', audio: { input: { format: { type: run.encoding ?? 'audio/pcm', rate: run.sampleRate }, transcription: { model: 'gpt-4o-transcribe', language: 'en' }, ...run.params } } } } as never);
  if (run.extraEvent) rt.send(run.extraEvent as never);
  const audio = readFileSync(run.audioPath);
  for (let i = 0; i < audio.length; i += run.chunkBytes) rt.send({ type: 'input_audio_buffer.append', audio: audio.subarray(i, i + run.chunkBytes).toString('base64') });
  if (run.forceEnd) rt.send({ type: 'input_audio_buffer.commit' });
  // Done when every committed item has its transcript and nothing more came for a second.
  const deadline = Date.now() + 30_000;
  let seen = -1;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    if (events.length !== seen) (seen = events.length), (quietSince = Date.now());
    const committed = events.filter((e) => e.type === 'input_audio_buffer.committed').length;
    const completed = events.filter((e) => e.type === 'conversation.item.input_audio_transcription.completed').length;
    if (committed > 0 && completed === committed && Date.now() - quietSince > 1000) break;
    await Bun.sleep(50);
  }
  const closed = new Promise<{ code: number; reason: string }>((r) => rt.socket.on('close', (code: number, reason: Buffer) => r({ code, reason: String(reason) })));
  rt.close();
  return { events, errors, close: await Promise.race([closed, Bun.sleep(5000).then(() => null)]) };
}

/**
 * LiveKit Agents' speech-to-text plugins, as a voice agent runs them: Deepgram's Flux (STTv2) or
 * OpenAI's realtime STT, fed 100 ms AudioFrames at real time; the speech events they give the agent.
 */
async function livekit(run: SdkRun, plugin: 'flux' | 'openai') {
  const { initializeLogger, stt: agents } = await import('@livekit/agents');
  const { AudioFrame } = await import('@livekit/rtc-node');
  initializeLogger({ pretty: false, level: 'warn' });
  const stt =
    plugin === 'flux'
      ? new (await import('@livekit/agents-plugin-deepgram')).STTv2({ apiKey: run.key, endpointUrl: `${run.url.replace(/^https/, 'wss')}/v2/listen`, model: 'flux-general-en', sampleRate: run.sampleRate } as never)
      : new (await import('@livekit/agents-plugin-openai')).STT({ apiKey: run.key, baseURL: `${run.url}/v1`, model: 'gpt-4o-transcribe', language: 'en' } as never);
  const stream = stt.stream();
  const audio = readFileSync(run.audioPath);
  const samples = new Int16Array(audio.buffer.slice(audio.byteOffset, audio.byteOffset + audio.length));
  const step = run.sampleRate / 10;
  void (async () => {
    for (let i = 0; i < samples.length; i += step) {
      const chunk = samples.slice(i, i + step);
      stream.pushFrame(new AudioFrame(chunk, run.sampleRate, 1, chunk.length));
      await Bun.sleep(run.chunkBytes);
    }
    stream.endInput();
  })();
  const events: { type: string; text?: string }[] = [];
  const done = (async () => {
    for await (const e of stream) events.push({ type: agents.SpeechEventType[e.type], text: e.alternatives?.[0]?.text });
  })();
  await Promise.race([done, Bun.sleep(60_000)]);
  return { events };
}

if (import.meta.main) {
  const [sdk, json] = process.argv.slice(2);
  const run = JSON.parse(json!) as SdkRun;
  const out =
    sdk === 'openai' ? await openai(run) : sdk === 'livekit-flux' ? await livekit(run, 'flux') : sdk === 'livekit-openai' ? await livekit(run, 'openai') : await assemblyai(run, sdk === 'assemblyai-token');
  console.log(JSON.stringify(out));
  process.exit(0);
}
