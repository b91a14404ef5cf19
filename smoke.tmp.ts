import { startTestServer, eventually } from './test/helpers/server';
const s = await startTestServer({ VOXLOG_DEFAULT_MODEL: '' });
const j = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(s.url + path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  return { status: r.status, body: text ? (() => { try { return JSON.parse(text); } catch { return text.slice(0, 100); } })() : null };
};
try {
  const ref = (await Bun.file('../shared/audio/librispeech/trans.tsv').text()).split('\n').find((l) => l.startsWith('0.wav\t'))!.split('\t')[1]!;
  const c = await j('POST', '/api/v1/items', { locale: 'en', text: ref, tags: ['animals'] });
  console.log(c.status, JSON.stringify(c.body));
  const id = c.body.id;
  const st = await eventually(async () => { const r = await j('GET', `/api/v1/items/${id}/tts-status`); return r.body.status !== 'pending' && r.body; });
  console.log('tts', JSON.stringify(st));
  const audio = await fetch(`${s.url}/api/v1/items/${id}/audio`);
  console.log('audio', audio.status, audio.headers.get('etag'), audio.headers.get('content-length'));
  const part = await fetch(`${s.url}/api/v1/items/${id}/audio`, { headers: { range: 'bytes=0-43' } });
  console.log('range', part.status, part.headers.get('content-range'), (await part.arrayBuffer()).byteLength);
  const typed = await j('POST', '/api/v1/attempts', { item_id: id, text: 'the quick brown cat jumps over the lazy dog' });
  console.log('typed', typed.status, JSON.stringify(typed.body).slice(0, 600));
  const fd = new FormData();
  fd.set('item_id', id);
  fd.set('file', Bun.file('../shared/audio/librispeech/0.wav'));
  const spoken = await fetch(`${s.url}/api/v1/attempts`, { method: 'POST', body: fd });
  console.log('spoken', spoken.status, (await spoken.text()).slice(0, 400));
  const bad = new FormData(); bad.set('item_id', id); bad.set('file', new Blob(['not audio at all']), 'x.wav');
  const b = await fetch(`${s.url}/api/v1/attempts`, { method: 'POST', body: bad });
  console.log('bad', b.status, await b.text());
  for (const p of ['/api/v1/items?tags=animals', '/api/v1/stats/summary', '/api/v1/stats/practice-log', `/api/v1/stats/items/${id}`, '/api/v1/stats/progress?days=3&tz=Europe/Paris', '/api/v1/tags', '/api/v1/tts/voices?available=true']) {
    const r = await j('GET', p); console.log(p, r.status, JSON.stringify(r.body).slice(0, 400));
  }
  const bulk = await j('POST', '/api/v1/items/bulk', { items: [{ locale: 'fr-FR', text: 'Bonjour à tous' }, { locale: 'xx', text: 'a' }, { locale: 'en', text: 'x', difficulty: 9 }, { locale: 'en', text: 'ok', tags: [3] }] });
  console.log('bulk', bulk.status, JSON.stringify(bulk.body).slice(0, 900));
} finally { await s.dispose(); }
