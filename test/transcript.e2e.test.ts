// The pages a person reads transcripts on, in a real Chromium against a real server with the real
// model: a session or job played back word by word, where each job came from, the sessions list,
// page titles, the stats charts with one model, and dictation items whose audio is still being made.
import { describe, expect, it } from 'bun:test';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { AUDIO_DIR, loadClip } from './helpers/audio';
import { browserAndServer, microphoneFile, screenshot, watchedPage } from './helpers/browser';

const scratch = mkdtempSync(join(tmpdir(), 'voxlog-read-'));
// A voice that takes two seconds to speak: an item's audio is still being made when its page loads.
const slowFlite = join(scratch, 'slow-flite');
writeFileSync(slowFlite, `#!/bin/sh\nsleep 2\nexec ${Bun.which('flite') ?? 'flite'} "$@"\n`);
chmodSync(slowFlite, 0o755);

const fx = browserAndServer(
  { VOXLOG_DEFAULT_MODEL: '', VOXLOG_FLITE: slowFlite },
  { fakeMicrophone: () => microphoneFile(scratch, loadClip('jfk', 'jfk.wav').pcm16) },
);

/** Plays the transcript's audio from a word (a click, as a person would) and says where the audio and the highlight are. */
async function clickWord(read: Locator, word: Locator) {
  const startMs = Number(await word.getAttribute('data-start'));
  await word.click();
  const audio = read.locator('audio');
  await audio.evaluate((el: HTMLAudioElement) => new Promise((r) => (el.currentTime > 0 && !el.paused ? r(null) : el.addEventListener('playing', () => r(null), { once: true }))));
  await read.locator('.w.now').waitFor();
  const atMs = await audio.evaluate((el: HTMLAudioElement) => el.currentTime * 1000);
  const now = Number(await read.locator('.w.now').getAttribute('data-start'));
  return { startMs, atMs, now };
}

/** Whether the highlight moves on by itself while the audio plays. */
async function highlightFollows(page: Page, read: Locator): Promise<boolean> {
  const first = Number(await read.locator('.w.now').getAttribute('data-start'));
  for (let i = 0; i < 40; i++) {
    await page.waitForTimeout(100);
    if (Number(await read.locator('.w.now').getAttribute('data-start')) > first) return true;
  }
  return false;
}

describe('reading a transcript against its audio', () => {
  it('plays back a live session that kept its audio: the spoken word is highlighted, and a click seeks to a word', async () => {
    const { page, problems, foreign } = await watchedPage(fx.browser, fx.server.url);
    await page.goto(`${fx.server.url}/live`);
    await page.getByLabel('Keep the audio').check();
    await page.getByRole('button', { name: 'Record' }).click();
    // Recorded until the finals hold a dozen words (JFK's clip has 22).
    await page.waitForFunction(() => [...document.querySelectorAll('.transcript li.final .text')].map((t) => t.textContent).join(' ').split(/\s+/).filter(Boolean).length >= 12, null, { timeout: 60_000 });
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('status').filter({ hasText: 'Stopped.' }).waitFor();
    const sessionId = (await page.getByRole('status').getByRole('link').textContent())!;

    // The list shows the session by its first words, with its length and model.
    await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Sessions' }).click();
    const row = page.locator('tr').filter({ has: page.locator(`a[href="/sessions/${sessionId}"]`) });
    const firstWords = (await row.locator('a.first-words').textContent())!;
    expect(firstWords.split(' ').length).toBeGreaterThan(3);
    expect(await row.textContent()).toContain('gigaspeech-zipformer-3.3M-en');
    expect(await row.textContent()).toContain('audio kept');
    await screenshot(page, 'sessions-first-words');

    await row.locator('a.first-words').click();
    await page.waitForFunction((t) => document.title === t, `Session ${sessionId} · voxlog`);
    const read = page.getByLabel('session transcript', { exact: true });
    await read.locator('audio').waitFor();
    const words = read.locator('.w');
    await words.nth(10).waitFor();
    const target = words.nth(6);
    const seek = await clickWord(read, target);
    // Playing from the word clicked (a player may start a few ms early or late), and highlighting it or the next.
    expect(Math.abs(seek.atMs - seek.startMs)).toBeLessThan(400);
    expect(seek.now).toBeGreaterThanOrEqual(Number(await words.nth(5).getAttribute('data-start')));
    expect(await highlightFollows(page, read)).toBe(true);
    await screenshot(page, 'session-transcript-playing');
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
    await page.context().close();
  }, 120_000);

  it("says where each job came from, and reads a finished job's transcript against its upload", async () => {
    const { page, problems } = await watchedPage(fx.browser, fx.server.url);
    // One job from the OpenAI-compatible route, one uploaded in the page.
    const form = new FormData();
    form.append('file', Bun.file(join(AUDIO_DIR, 'jfk', 'jfk.wav')), 'jfk-openai.wav');
    form.append('model', 'whisper-1');
    expect((await fetch(`${fx.server.url}/v1/audio/transcriptions`, { method: 'POST', body: form })).status).toBe(200);
    await page.goto(`${fx.server.url}/jobs`);
    const upload = page.getByRole('form', { name: 'upload a recording' });
    await upload.getByLabel('Audio or video file').setInputFiles(join(AUDIO_DIR, 'jfk', 'jfk.wav'));
    await upload.getByRole('button', { name: 'Upload' }).click();
    const mine = page.locator('article[data-job]').filter({ hasText: 'uploaded here' });
    await mine.and(page.locator('[data-status="completed"]')).waitFor({ timeout: 60_000 });
    await page.locator('article[data-job]').filter({ hasText: 'jfk-openai.wav' }).locator('[data-source="openai"]').filter({ hasText: 'OpenAI API' }).waitFor();

    await mine.getByRole('button', { name: 'Read' }).click();
    const read = mine.getByLabel('transcript of jfk.wav', { exact: true });
    await read.locator('audio').waitFor();
    const words = read.locator('.w');
    expect(await words.count()).toBeGreaterThan(15);
    // Written text: cased and punctuated.
    expect(await read.textContent()).toMatch(/[A-Z][^]*[.,]/);
    const seek = await clickWord(read, words.nth(10));
    expect(Math.abs(seek.atMs - seek.startMs)).toBeLessThan(400);
    expect(await highlightFollows(page, read)).toBe(true);
    await screenshot(page, 'jobs-read-transcript');
    expect(problems).toEqual([]);
    await page.context().close();
  }, 120_000);
});

describe('the other pages', () => {
  it('titles each page for its tab', async () => {
    const { page } = await watchedPage(fx.browser, fx.server.url);
    for (const [path, title] of [['/live', 'Live'], ['/sessions', 'Sessions'], ['/dictation', 'Dictation'], ['/jobs', 'Jobs'], ['/stats', 'Stats']]) {
      await page.goto(`${fx.server.url}${path}`);
      await page.waitForFunction((t) => document.title === t, `${title} · voxlog`);
    }
    await page.context().close();
  }, 60_000);

  it('charts one model with its name once on the x axis and no empty hover legend', async () => {
    const { page, problems } = await watchedPage(fx.browser, fx.server.url);
    await page.goto(`${fx.server.url}/stats`);
    const charts = page.locator('figure').filter({ hasText: /Audio transcribed|Final latency/ }).locator('.chart');
    await charts.first().waitFor();
    expect(await charts.count()).toBe(2);
    for (const chart of await charts.all()) {
      await page.waitForFunction((el) => (el as HTMLElement).dataset.xLabels !== undefined, await chart.elementHandle());
      expect(JSON.parse((await chart.getAttribute('data-x-labels'))!)).toEqual(['gigaspeech-zipformer-3.3M-en']);
      expect(await chart.locator('.u-legend').textContent()).not.toContain('Value');
    }
    await screenshot(page, 'stats-one-model');
    expect(problems).toEqual([]);
    await page.context().close();
  }, 60_000);

  it("shows a dictation item's audio as ready in the table once the practice panel beside it says so", async () => {
    const { page, problems } = await watchedPage(fx.browser, fx.server.url);
    await page.goto(`${fx.server.url}/dictation`);
    const form = page.getByRole('form', { name: 'new item' });
    await form.getByLabel('Text to dictate').fill('Pack my box with five dozen liquor jugs');
    await form.getByRole('button', { name: 'Create item' }).click();
    const row = page.getByRole('table', { name: 'items' }).locator('tr').filter({ hasText: 'Pack my box' });
    await row.locator('.badge.pending').waitFor();
    await page.getByLabel('practice').locator('[data-tts-status="ready"]').waitFor({ timeout: 30_000 });
    await row.locator('.badge.ready').waitFor({ timeout: 3_000 });
    await screenshot(page, 'dictation-ready');
    expect(problems).toEqual([]);
    await page.context().close();
  }, 60_000);
});
