import { describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { parseSync } from 'subtitle';
import { wordErrorRate } from '../src/scoring/wer';
import { AUDIO_DIR, concat, loadClip, pcm16Wav, references } from './helpers/audio';
import { browserAndServer, screenshot, watchedPage } from './helpers/browser';
import { jsonClient } from './helpers/http';

const fx = browserAndServer({ VOXLOG_DEFAULT_MODEL: '' });

describe('jobs page', () => {
  it('uploads a file, follows it to 100 %, downloads a valid SRT, restarts and deletes it', async () => {
    const { page, problems, foreign } = await watchedPage(fx.browser, fx.server.url);
    await page.goto(`${fx.server.url}/jobs`);
    const upload = page.getByRole('form', { name: 'upload a recording' });
    await upload.getByLabel('Audio or video file').setInputFiles(join(AUDIO_DIR, 'jfk', 'jfk.wav'));
    await upload.getByRole('button', { name: 'Upload' }).click();

    const card = page.locator('article[data-job]').first();
    await card.and(page.locator('[data-status="completed"]')).waitFor({ timeout: 60_000 });
    expect(await card.getByRole('progressbar').evaluate((p: HTMLProgressElement) => p.value)).toBe(1);
    await card.getByText('100 %').waitFor();
    await screenshot(page, 'jobs-completed');

    await card.getByLabel('download format').selectOption('srt');
    const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('button', { name: 'Download' }).click()]);
    expect(download.suggestedFilename()).toBe('jfk.srt');
    const srt = await Bun.file((await download.path())!).text();
    const cues = parseSync(srt).filter((n) => n.type === 'cue');
    expect(cues.length).toBeGreaterThan(0);
    const text = cues.map((c) => (c.data as { text: string }).text.replace(/\n/g, ' ')).join(' ');
    const wer = wordErrorRate(references('jfk').get('jfk')!, text).rate;
    console.log(`SRT downloaded through the page: ${cues.length} cues, WER ${wer.toFixed(3)}`);
    expect(wer).toBeLessThan(0.25);

    // Restart runs it again (back to completed); delete removes it from the list.
    const id = await card.getAttribute('data-job');
    await card.getByRole('button', { name: 'Restart' }).click();
    const completions = () => fx.server.store.readStream(`job-${id}`).filter((e) => e.type === 'JobCompleted').length;
    while (completions() < 2) await Bun.sleep(100);
    await page.locator(`article[data-job="${id}"][data-status="completed"]`).waitFor({ timeout: 30_000 });
    expect(fx.server.store.readStream(`job-${id}`).filter((e) => e.type === 'JobRetried').length).toBe(1);
    page.once('dialog', (d) => void d.accept());
    await page.locator(`article[data-job="${id}"]`).getByRole('button', { name: 'Delete' }).click();
    await page.locator(`article[data-job="${id}"]`).waitFor({ state: 'detached' });
    expect(fx.server.store.readStream(`job-${id}`).at(-1)?.type).toBe('JobDeleted');
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
  }, 120_000);

  it('answers a file that is not audio with the server\'s reason, and queues nothing', async () => {
    const { page } = await watchedPage(fx.browser, fx.server.url);
    await page.goto(`${fx.server.url}/jobs`);
    const upload = page.getByRole('form', { name: 'upload a recording' });
    await upload.getByLabel('Audio or video file').setInputFiles({ name: 'notes.mp3', mimeType: 'audio/mpeg', buffer: Buffer.from('this is not audio at all') });
    await upload.getByRole('button', { name: 'Upload' }).click();
    await upload.getByRole('alert').waitFor();
    expect(await upload.getByRole('alert').textContent()).toMatch(/audio|decode|format/i);
    expect(await page.locator('article[data-job]').count()).toBe(0);
  }, 60_000);

  it('shows the upload itself progressing (on a throttled 4 Mbit/s link)', async () => {
    const { page, problems } = await watchedPage(fx.browser, fx.server.url);
    await page.goto(`${fx.server.url}/jobs`);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 500_000 });
    // 2 MB: about four seconds at that rate.
    const clip = loadClip('jfk', 'jfk.wav');
    const upload = page.getByRole('form', { name: 'upload a recording' });
    await upload.getByLabel('Audio or video file').setInputFiles({ name: 'long.wav', mimeType: 'audio/wav', buffer: Buffer.from(pcm16Wav(concat(Array(6).fill(clip.pcm16)))) });
    await upload.getByRole('button', { name: 'Upload' }).click();
    const seen = new Set<number>();
    const bar = upload.getByRole('progressbar');
    while (!(await page.locator('article[data-job]').count())) {
      const value = await bar.evaluate((p: HTMLProgressElement) => p.value, undefined, { timeout: 200 }).catch(() => null);
      if (value !== null) seen.add(Math.round(value * 100));
      await page.waitForTimeout(100);
    }
    const between = [...seen].filter((v) => v > 0 && v < 100);
    console.log(`upload progress seen: ${[...seen].sort((a, b) => a - b).join(', ')} %`);
    expect(between.length).toBeGreaterThan(1);
    await page.locator('article[data-job][data-status="completed"]').waitFor({ timeout: 60_000 });
    expect(problems).toEqual([]);
  }, 60_000);

  it('follows at most three jobs over their own feeds (a browser has six connections per host) and still shows every job finish', async () => {
    const call = jsonClient(fx.server.url);
    expect((await call('PUT', '/api/v1/admin/concurrency', { max_concurrent_jobs: 0 })).status).toBe(200);
    const jfk = await Bun.file(join(AUDIO_DIR, 'jfk', 'jfk.wav')).arrayBuffer();
    for (let n = 0; n < 6; n++) {
      const form = new FormData();
      form.append('file', new File([jfk], `queued-${n}.wav`, { type: 'audio/wav' }));
      expect((await call('POST', '/api/v1/jobs', form)).status).toBe(202);
    }
    const { page, problems } = await watchedPage(fx.browser, fx.server.url);
    const feeds: string[] = [];
    page.on('request', (r) => /\/api\/v1\/jobs\/[^/]+\/events/.test(r.url()) && feeds.push(r.url()));
    await page.goto(`${fx.server.url}/jobs?status=`);
    await page.locator('article[data-job]').filter({ hasText: 'queued-5.wav' }).waitFor();
    await page.waitForTimeout(500);
    expect(feeds.length).toBe(3);
    expect((await call('PUT', '/api/v1/admin/concurrency', { max_concurrent_jobs: 2 })).status).toBe(200);
    for (let n = 0; n < 6; n++) await page.locator('article[data-status="completed"]').filter({ hasText: `queued-${n}.wav` }).waitFor({ timeout: 60_000 });
    expect(problems).toEqual([]);
  }, 120_000);
});
