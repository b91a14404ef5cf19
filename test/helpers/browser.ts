import { afterAll, beforeAll } from 'bun:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { concat, pcm16Wav, silence } from './audio';
import { startTestServer, type TestServer } from './server';

/** Where e2e tests leave screenshots (git-ignored). */
export const ARTEFACTS = join(import.meta.dir, '..', '..', 'test-artefacts');

/** Debian's Chromium (`.ci/run` installs it), or the one VOXLOG_CHROMIUM names. */
export function chromiumPath(): string {
  const path = process.env.VOXLOG_CHROMIUM ?? Bun.which('chromium') ?? Bun.which('chromium-browser') ?? Bun.which('google-chrome');
  if (!path) throw new Error('browser tests need Chromium: apt-get install chromium (bash .ci/run does), or set VOXLOG_CHROMIUM');
  return path;
}

/** Headless Chromium; with `fakeMicrophone`, its microphone plays that WAV (in a loop) and access is granted. */
export function launchBrowser(fakeMicrophone?: string): Promise<Browser> {
  const mic = fakeMicrophone ? ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-audio-capture=${fakeMicrophone}`] : [];
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', ...mic] });
}

export interface WatchedPage {
  readonly page: Page;
  /** Console errors and uncaught page errors, as text. */
  readonly problems: string[];
  /** Every request the page made to a host other than the server's. */
  readonly foreign: string[];
}

/** A page that records console errors, page errors and requests to any other host than `origin`. */
export async function watchedPage(browser: Browser, origin: string, viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url);
  });
  return { page, problems, foreign };
}

/** Saves a full-page screenshot under test-artefacts/screenshots/. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(ARTEFACTS, 'screenshots');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * A real server (env as startTestServer takes it) and a Chromium for a test file, started before its tests and
 * stopped after. Read them through the returned object: they exist only once beforeAll has run.
 */
export function browserAndServer(env: Record<string, string>, o: { fakeMicrophone?: () => Promise<string>; dataDir?: string } = {}) {
  const fixture = {} as { server: TestServer; browser: Browser };
  beforeAll(async () => {
    const mic = await o.fakeMicrophone?.();
    fixture.server = await startTestServer(env, o.dataDir);
    fixture.browser = await launchBrowser(mic);
  });
  afterAll(async () => {
    await fixture.browser?.close();
    await fixture.server?.dispose();
  });
  return fixture;
}

/**
 * A WAV for Chromium's fake microphone: a second of silence (the microphone starting), the speech, then four
 * seconds of silence, so the endpoint rule (1.2 s) ends the segment before the file plays again.
 */
export async function microphoneFile(dir: string, pcm16: Uint8Array): Promise<string> {
  const path = join(dir, 'microphone.wav');
  await Bun.write(path, pcm16Wav(concat([silence(1), pcm16, silence(4)])));
  return path;
}

/** What the live page showed for one recording of a microphoneFile. */
export interface PageRecording {
  /** The finals that start within the file's first pass (Chromium plays it in a loop), joined. */
  readonly text: string;
  readonly sessionId: string;
  /** The loudest input level the meter showed, in dB. */
  readonly loudestDb: number;
}

/**
 * Records on the live page (already open) until its finals hold 70 % of the reference's words, then stops and
 * waits for the session to close. `speechMs` is the length of the speech in the microphoneFile.
 */
export async function recordOnLivePage(page: Page, reference: string, speechMs: number): Promise<PageRecording> {
  const firstPassMs = 1000 + speechMs;
  const finalsText = () =>
    page.locator('.transcript li.final').evaluateAll((lis, end) => lis.filter((li) => Number((li as HTMLElement).dataset.startMs) < end).map((li) => li.querySelector('.text')!.textContent).join(' '), firstPassMs);
  const enough = Math.round(reference.split(' ').length * 0.7);
  const meter = page.getByRole('meter', { name: 'input level' });
  await page.getByRole('button', { name: 'Record' }).click();
  let loudestDb = -60;
  for (let text = ''; text.split(/\s+/).filter(Boolean).length < enough; text = await finalsText()) {
    await page.waitForTimeout(250);
    loudestDb = Math.max(loudestDb, Number(await meter.getAttribute('aria-valuenow')));
  }
  const text = await finalsText();
  await page.getByRole('button', { name: 'Stop' }).click();
  await page.getByRole('status').filter({ hasText: 'Stopped.' }).waitFor();
  const sessionId = (await page.getByRole('status').getByRole('link').textContent())!;
  return { text, sessionId, loudestDb };
}
