// bun run replay [--db FILE] [--json]                        rebuild every projection and compare with the live tables
// bun run replay --session ID [--from X] [--to Y] [--json]   print a session's timeline
// bun run replay --timeline [--from X] [--to Y] [--json]     print the whole log's timeline
// X, Y: a log position (digits) or a time (ISO 8601).
import { Database } from 'bun:sqlite';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { sessionStream } from '../../events/ids';
import { projections } from '../../events/projections';
import { sameRows, verifyProjections } from '../../events/projections/verify';
import { readEvents } from '../../events/read';
import { EventStore } from '../../events/store';
import type { RecordedEvent } from '../../events/types';
import { loadConfig } from '../config';
import { fail, parseCli } from './args';
import { jobLogLine } from '../jobs/log-lines';
import { askServer } from '../ops/admin-socket';
import { PROGRAM } from '../program';

const USAGE = `usage: ${PROGRAM} replay [--db FILE] [--json]                        rebuild every projection from the log and compare with the live tables
       ${PROGRAM} replay --session ID [--from X] [--to Y] [--json]   a session's timeline
       ${PROGRAM} replay --timeline [--from X] [--to Y] [--json]     the whole log's timeline

  --db FILE     the SQLite file (default: $VOXLOG_DATA_DIR/voxlog.sqlite)
  --from, --to  a log position (digits) or a time (ISO 8601)
  --json        JSON lines (timelines) or a JSON report (verify)

Exit codes: 0 the rebuild equals the live tables, 1 it differs, 2 bad arguments or no database.`;

const { values, positionals } = parseCli(USAGE, {
  db: { type: 'string' },
  session: { type: 'string' },
  timeline: { type: 'boolean', default: false },
  from: { type: 'string' },
  to: { type: 'string' },
  json: { type: 'boolean', default: false },
});
if (positionals.length > 0) fail(`unexpected argument ${positionals[0]}\n${USAGE}`);

for (const name of ['from', 'to'] as const) bound(values[name], name); // bad bounds are usage errors, before any file is opened
const named = values.db ?? join(loadConfig().dataDir, 'voxlog.sqlite');
// A running server holds its log alone: it hands over a consistent copy, read here and then removed.
const snapshot = await runningServerSnapshot(named);
if (snapshot) process.on('exit', () => rmSync(snapshot, { force: true }));
const path = snapshot ?? named;
if (!existsSync(path)) fail(`no database at ${path} (set VOXLOG_DATA_DIR or pass --db)`);

if (values.session || values.timeline) timeline();
else verify();

/** A copy of `file`, when it is the log (or replica) of a server running over its directory. */
async function runningServerSnapshot(file: string): Promise<string | undefined> {
  const reply = await askServer(dirname(file), { op: 'snapshot', path: resolve(file) });
  if (!reply) return undefined;
  // Another file in that directory (an old log, a copy): read it as it is.
  if (!reply.ok) return undefined;
  if (!values.json) process.stderr.write(`the server is running: reading a copy of its log taken now\n`);
  return reply.result as string;
}

/** A bound given as digits is a log position; anything else must parse as a time. */
function bound(raw: string | undefined, name: string): { position?: number; time?: string } {
  if (raw === undefined) return {};
  if (/^\d+$/.test(raw)) return { position: Number(raw) };
  const t = Date.parse(raw);
  if (Number.isNaN(t)) fail(`--${name} ${JSON.stringify(raw)} is neither a log position nor a time`);
  return { time: new Date(t).toISOString() };
}

function timeline(): void {
  const db = new Database(path, { readonly: true });
  const from = bound(values.from, 'from');
  const to = bound(values.to, 'to');
  const inRange = (e: RecordedEvent) =>
    (from.position === undefined || e.position >= from.position) &&
    (to.position === undefined || e.position <= to.position) &&
    (from.time === undefined || e.createdAt >= from.time) &&
    (to.time === undefined || e.createdAt <= to.time);
  const pages = function* (): Generator<RecordedEvent[]> {
    if (values.session) {
      const events = new EventStore(db, []).readStream(sessionStream(values.session));
      if (events.length === 0) fail(`no session ${values.session} in ${path}`);
      yield events;
      return;
    }
    for (let after = (from.position ?? 1) - 1; ; ) {
      const page = readEvents(db, { after, to: to.position, limit: 10_000 });
      if (page.length === 0) return;
      yield page;
      after = page.at(-1)!.position;
    }
  };
  for (const page of pages()) {
    for (const e of page) {
      if (!inRange(e)) continue;
      if (values.json) console.log(JSON.stringify({ position: e.position, time: e.createdAt, stream: e.streamId, type: e.type, data: e.data }));
      else console.log(`${e.createdAt}  #${String(e.position).padEnd(8)} ${e.type.padEnd(19)} ${describe(e)}`);
    }
  }
}

/** One line of human-readable detail per event type. */
function describe(e: RecordedEvent): string {
  switch (e.type) {
    case 'SessionOpened':
      return `session ${e.data.session_id} model ${e.data.model_id} ${e.data.encoding}@${e.data.sample_rate}${e.data.protocol === 'voxlog' ? '' : ` via ${e.data.protocol}`}`;
    case 'PartialTranscribed':
      return `#${e.data.segment} … ${e.data.text}`;
    case 'SegmentFinalized':
      return `#${e.data.segment} [${e.data.start_ms}-${e.data.end_ms} ms] ${e.data.text}`;
    case 'ModelSwitched':
      return `${e.data.from_model_id} → ${e.data.to_model_id} at ${e.data.at_ms} ms (held audio ${e.data.waited_ms} ms)`;
    case 'SessionResumed':
      return `session ${e.data.session_id} resumed at ${e.data.at_ms} ms, segment ${e.data.next_segment}`;
    case 'SessionClosed':
      return `${e.data.reason}: ${e.data.segments} segments, ${e.data.audio_ms} ms audio`;
    case 'EngineStarted':
      return `engine ${e.data.model_id} worker ${e.data.worker} loaded in ${e.data.load_ms} ms`;
    case 'EngineCrashed':
      return `engine ${e.data.model_id} worker ${e.data.worker} crashed (${e.data.streams} streams): ${e.data.message}`;
    case 'SpeechStarted':
      return `speech started at ${e.data.at_ms} ms (segment ${e.data.segment})`;
    case 'UtteranceEnded':
      return `utterance ended after segment ${e.data.segment}: last word ${e.data.last_word_end_ms} ms, said at ${e.data.at_ms} ms`;
    case 'EngineFailed':
      return `engine ${e.data.model_id} failed: ${e.data.message}`;
    case 'UserCreated':
      return `user ${e.data.name} (${e.data.user_id}) created as ${e.data.role}`;
    case 'UserRoleChanged':
      return `user ${e.data.user_id} is now ${e.data.role}`;
    case 'UserDisabled':
      return `user ${e.data.user_id} ${e.data.disabled ? 'disabled' : 'enabled'}`;
    case 'ApiKeyCreated':
      return `key ${e.data.key_id} "${e.data.name}" for user ${e.data.user_id}`;
    case 'ApiKeyRevoked':
      return `key ${e.data.key_id} revoked`;
    case 'ApiKeyUsed':
      return `key ${e.data.key_id} used`;
    case 'ItemCreated':
      return `item ${e.data.item_id} (${e.data.locale}, difficulty ${e.data.difficulty}) ${e.data.text}`;
    case 'ItemUpdated':
      return `item ${e.data.item_id}${e.data.difficulty === undefined ? '' : ` difficulty ${e.data.difficulty}`}${e.data.tags === undefined ? '' : ` tags [${e.data.tags.join(', ')}]`}`;
    case 'ItemDeleted':
      return `item ${e.data.item_id} deleted`;
    case 'TtsRequested':
      return `item ${e.data.item_id} audio ${e.data.audio_hash.slice(0, 12)} (${e.data.voice} ×${e.data.speed})`;
    case 'TtsCompleted':
      return `audio ${e.data.audio_hash.slice(0, 12)} ready: ${e.data.duration_ms} ms by ${e.data.voice} in ${e.data.synthesis_ms} ms`;
    case 'TtsFailed':
      return `audio ${e.data.audio_hash.slice(0, 12)} try ${e.data.attempt} failed${e.data.retrying ? ' (will retry)' : ''}: ${e.data.reason}`;
    case 'TtsAudioRemoved':
      return `audio ${e.data.audio_hash.slice(0, 12)} removed`;
    case 'TtsClaimed':
      return `audio ${e.data.audio_hash.slice(0, 12)} claimed by node ${e.data.node}`;
    case 'TagCreated':
      return `tag ${e.data.name}`;
    case 'TagDeleted':
      return `tag ${e.data.name} deleted`;
    case 'AttemptScored':
      return `attempt ${e.data.attempt_id} on item ${e.data.item_id} (${e.data.kind}): WER ${e.data.wer.toFixed(3)} "${e.data.text}"`;
    case 'JobSubmitted':
    case 'JobStarted':
    case 'JobProgressed':
    case 'JobCompleted':
    case 'JobFailed':
    case 'JobRetried':
    case 'JobClaimed':
    case 'JobCancelled':
    case 'JobDeleted':
    case 'JobExpired':
      return `job ${e.data.job_id}: ${jobLogLine(e).message}`;
    case 'JobSettingsChanged':
      return `jobs settings: ${JSON.stringify(e.data)}`;
    default: {
      const never: never = e;
      return JSON.stringify((never as RecordedEvent).data);
    }
  }
}

function verify(): void {
  let lastReport = 0;
  const { ok, total, replayed, seconds, tables } = verifyProjections(path, projections, (done, logEvents) => {
    const now = performance.now();
    if (!values.json && now - lastReport > 500) {
      lastReport = now;
      process.stderr.write(`\rreplaying: ${done} relevant events of ${logEvents} in the log`);
    }
  });
  if (values.json) {
    console.log(JSON.stringify({ ok, log_events: total, replayed_events: replayed, seconds, events_per_second: Math.round(replayed / seconds), tables }));
  } else {
    if (lastReport > 0) process.stderr.write('\n');
    console.log(`replayed ${replayed} events of ${total} in ${seconds.toFixed(2)} s (${Math.round(replayed / Math.max(seconds, 1e-9))} events/s)`);
    for (const t of tables) {
      const state = sameRows(t) ? 'same' : 'DIFFERENT';
      console.log(`  ${t.table.padEnd(20)} ${String(t.rows).padStart(9)} rows  ${state}`);
      for (const r of t.onlyInLive) console.log(`    only in live:    ${r}`);
      for (const r of t.onlyInRebuild) console.log(`    only in rebuild: ${r}`);
    }
    console.log(ok ? 'projections match the log' : 'projections differ from the log');
  }
  process.exit(ok ? 0 : 1);
}

