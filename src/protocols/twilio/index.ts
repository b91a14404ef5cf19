// Twilio Media Streams (`/v1/twilio`): a phone call's audio from a <Stream> in TwiML (or Telnyx's
// and SignalWire's streams, which share the frame shape) becomes voxlog sessions; their finals go
// to the log, the SSE feed, and an optional signed webhook.
import { Elysia } from 'elysia';
import type { Authenticator } from '../../auth/authenticator';
import { remembered } from '../../auth/principal';
import { wsOutlet } from '../../server/host';
import type { TranscribeDeps } from '../../server/ws';
import { TwilioCall } from './call';
import { Webhook } from './webhook';

export const TWILIO_PATH = '/v1/twilio';

export function twilioRoutes(live: TranscribeDeps, auth: Authenticator, o: { webhookUrl: string | undefined; webhookSecret: string | undefined }) {
  const webhook = o.webhookUrl && o.webhookSecret ? new Webhook({ url: o.webhookUrl, secret: o.webhookSecret, onDropped: live.onRejected }) : undefined;
  const calls = new Map<string, TwilioCall>();
  return new Elysia({ name: 'twilio' }).ws(TWILIO_PATH, {
    beforeHandle({ request, server }) {
      live.sockets.checkUpgrade(request, server, live.onRejected);
    },
    open(ws) {
      live.sockets.opened(ws);
      // Twilio cannot send a header or a query with its stream: the gate lets the upgrade through,
      // and the call authenticates at `start` (customParameters.token) unless a ?token= already did.
      const caller = remembered(ws.data.request);
      const upgradeCaller = !auth.enabled || caller.role !== 'anonymous' ? caller : null;
      calls.set(ws.id, new TwilioCall({ live, auth, webhook }, `twilio-${ws.id}`, wsOutlet(ws, live, () => ws.close(1008, 'slow_consumer')), upgradeCaller));
    },
    message(ws, message) {
      calls.get(ws.id)?.receive(message);
    },
    close(ws) {
      live.sockets.closed(ws);
      calls.get(ws.id)?.gone();
      calls.delete(ws.id);
    },
  });
}
