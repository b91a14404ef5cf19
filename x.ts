import { Elysia } from 'elysia';
const app = new Elysia().ws('/ws', {
  open(ws) { console.log('open', ws.data.query, ws.id); },
  message(ws, msg) { console.log('msg', typeof msg, msg?.constructor?.name, Buffer.isBuffer(msg) ? msg.length : JSON.stringify(msg)); },
  close(ws, code, reason) { console.log('close', code, reason); },
}).listen({ port: 0, hostname: '127.0.0.1' });
const port = app.server!.port;
const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?model=x&sample_rate=16000`);
ws.onopen = () => {
  ws.send('not json'); ws.send('{"type":"keepalive"}'); ws.send('{bad'); ws.send('[1,2]'); ws.send('42');
  ws.send(new Uint8Array([1,2,3])); ws.send(new Uint8Array(20_000_000));
};
ws.onclose = (e) => { console.log('client close', e.code, e.reason); app.stop(); };
setTimeout(() => ws.close(), 1000);
