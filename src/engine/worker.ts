// Bun Worker entry (the default engine host): the engine protocol over postMessage, audio transferred.
import { EngineCore } from './core';
import type { FromWorker, ToWorker } from './protocol';

declare const self: Worker;

const core = new EngineCore(
  (m: FromWorker) => self.postMessage(m),
  // Ends only this Worker's thread.
  (code) => process.exit(code),
);
self.onmessage = (e: MessageEvent<ToWorker>) => core.receive(e.data);
