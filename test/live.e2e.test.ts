import { describe, expect, it } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wordErrorRate } from '../src/scoring/wer';
import { loadClip } from './helpers/audio';
import { browserAndServer, launchBrowser, microphoneFile, recordOnLivePage, screenshot, watchedPage } from './helpers/browser';
import { startTestServer } from './helpers/server';

// The real model through the whole browser path (fake microphone → AudioWorklet → 16 kHz PCM16 → WebSocket):
// measured WER 0.143 on this clip (an AND heard in the leading silence, LAIDED, FLOWER, FATTEN); the bound leaves room for resampling differences between Chromium builds.
const WER_BOUND = 0.25;
const clip = loadClip('librispeech', '1089-134686-0000.wav');

const dataDir = mkdtempSync(join(tmpdir(), 'voxlog-e2e-live-'));
const fx = browserAndServer({ VOXLOG_DEFAULT_MODEL: '' }, { dataDir, fakeMicrophone: () => microphoneFile(dataDir, clip.pcm16) });

describe('live page', () => {
  it('transcribes the microphone: the final on the page is within the WER bound, and its session has segments and a timeline', async () => {
    const { page, problems, foreign } = await watchedPage(fx.browser, fx.server.url);
    await page.goto(`${fx.server.url}/live`);
    const { text, sessionId, loudestDb } = await recordOnLivePage(page, clip.reference, (clip.pcm16.length / 32_000) * 1000);
    // The level meter moved with the speech.
    expect(loudestDb).toBeGreaterThan(-30);
    const wer = wordErrorRate(clip.reference, text).rate;
    console.log(`live page final: WER ${wer.toFixed(3)} (bound ${WER_BOUND}): ${text}`);
    expect(wer).toBeLessThan(WER_BOUND);
    await screenshot(page, 'live-recording');

    const sessionLink = page.getByRole('status').getByRole('link');
    await sessionLink.click();
    await page.waitForURL(`**/sessions/${sessionId}`);
    await page.getByRole('list', { name: 'segments' }).locator('li').first().waitFor();
    expect(await page.locator('[aria-label="word timings"] > span').count()).toBeGreaterThan(5);
    const timeline = page.getByRole('list', { name: 'events' });
    await timeline.getByText('SessionClosed').waitFor();
    for (const type of ['SessionOpened', 'PartialTranscribed', 'SegmentFinalized']) expect(await timeline.getByText(type, { exact: true }).count()).toBeGreaterThan(0);
    // The timeline is the log's: as many entries as the session's stream holds; partials can be hidden.
    expect(await timeline.locator('li').count()).toBe(fx.server.store.readStream(`session-${sessionId}`).length);
    await page.getByLabel('Show partials').uncheck();
    expect(await timeline.getByText('PartialTranscribed', { exact: true }).count()).toBe(0);
    expect(await timeline.getByText('SegmentFinalized', { exact: true }).count()).toBeGreaterThan(0);
    await screenshot(page, 'session');
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
  }, 90_000);

  it('switches the model while recording, then rides out a server restart by resuming the same session', async () => {
    const { page, problems } = await watchedPage(fx.browser, fx.server.url);
    await page.goto(`${fx.server.url}/live`);
    await page.getByRole('button', { name: 'Record' }).click();
    await page.getByRole('status').filter({ hasText: 'Recording.' }).waitFor();
    await page.getByLabel('Model').selectOption('gigaspeech-zipformer-3.3M-en-greedy');
    await page.getByText('Switched from gigaspeech-zipformer-3.3M-en to gigaspeech-zipformer-3.3M-en-greedy').waitFor({ timeout: 20_000 });
    const sessionId = (await page.getByRole('status').getByRole('link').textContent())!;

    // The server goes away (close 1001) and comes back on the same port and data directory.
    const port = fx.server.port;
    await fx.server.stop();
    await page.getByRole('status').filter({ hasText: 'Connection lost' }).waitFor();
    fx.server = await startTestServer({ VOXLOG_DEFAULT_MODEL: '', PORT: String(port) }, dataDir);
    await page.getByRole('status').filter({ hasText: 'Reconnected: the session continues' }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('status').getByRole('link').textContent()).toBe(sessionId);
    await page.locator('.transcript li.final').first().waitFor({ timeout: 45_000 });
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('status').filter({ hasText: 'Stopped.' }).waitFor();
    const types = fx.server.store.readStream(`session-${sessionId}`).map((e) => e.type);
    expect(types).toContain('ModelSwitched');
    expect(types).toContain('SessionResumed');
    expect(problems.filter((p) => !p.includes('WebSocket'))).toEqual([]);
  }, 120_000);

  it('says plainly when the microphone is denied', async () => {
    const denied = await launchBrowser();
    try {
      const context = await denied.newContext();
      const page = await context.newPage();
      await page.goto(`${fx.server.url}/live`);
      await page.getByRole('button', { name: 'Record' }).click();
      await page.getByRole('alert').filter({ hasText: /Microphone access was denied|No microphone was found/ }).waitFor();
      await screenshot(page, 'live-denied');
    } finally {
      await denied.close();
    }
  }, 60_000);
});
