import { startTestServer } from './test/helpers/server';
const s = await startTestServer();
const fd = new FormData(); fd.set('item_id', 'x'); fd.set('text', 'hello');
const r = await fetch(`${s.url}/api/v1/attempts`, { method: 'POST', body: fd });
console.log(r.status, await r.text());
await s.dispose();
