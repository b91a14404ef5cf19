import { beforeAll, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { AUDIO_DIR } from './helpers/audio';
import { browserAndServer, screenshot, watchedPage } from './helpers/browser';
import { jsonClient, signIn } from './helpers/http';

const PAGES = [
  { path: '/live', heading: 'Live transcription' },
  { path: '/sessions', heading: 'Sessions' },
  { path: '/dictation', heading: 'Dictation' },
  { path: '/jobs', heading: 'Jobs' },
  { path: '/stats', heading: 'Stats' },
  { path: '/admin', heading: 'Admin' },
] as const;
const PHONE = { width: 375, height: 740 };

const fx = browserAndServer(
  { VOXLOG_DEFAULT_MODEL: '', VOXLOG_AUTH: 'on', VOXLOG_ADMIN_PASSWORD: 'correct horse battery' },
  { fakeMicrophone: async () => join(AUDIO_DIR, 'jfk', 'jfk.wav') },
);

beforeAll(async () => {
  const admin = jsonClient(fx.server.url, await signIn(fx.server.url, 'admin', 'correct horse battery'));
  expect((await admin('POST', '/api/v1/admin/users', { name: 'ada', password: 'analytical engine', role: 'user' })).status).toBe(201);
});

async function signInThroughPage(page: Page, name: string, password: string): Promise<void> {
  await page.goto(`${fx.server.url}/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Live transcription' }).waitFor();
}

/** Controls with no accessible name (no label, aria-label or text): a screen reader could not say what they are. */
const unlabelled = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('main input, main select, main textarea, main button')]
      .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label') && !el.textContent?.trim())
      .map((el) => el.outerHTML.slice(0, 80)),
  );

describe('every page, with auth on', () => {
  it('asks for a sign-in, then loads each page with no console error, no foreign request, labelled controls, and no sideways scroll on a phone', async () => {
    for (const viewport of [undefined, PHONE]) {
      const { page, problems, foreign } = await watchedPage(fx.browser, fx.server.url, viewport);
      await signInThroughPage(page, 'admin', 'correct horse battery');
      for (const { path, heading } of PAGES) {
        await page.goto(`${fx.server.url}${path}`);
        await page.getByRole('heading', { name: heading, exact: true }).waitFor();
        await page.waitForLoadState('networkidle');
        expect({ path, unlabelled: await unlabelled(page) }).toEqual({ path, unlabelled: [] });
        if (viewport) expect({ path, overflow: await page.evaluate(() => document.documentElement.scrollWidth - innerWidth) }).toEqual({ path, overflow: 0 });
        await screenshot(page, `${path.slice(1)}${viewport ? '-phone' : ''}`);
      }
      expect(problems).toEqual([]);
      expect(foreign).toEqual([]);
      await page.context().close();
    }
  }, 120_000);

  it('is reachable by keyboard: the first Tab lands on the skip link, and Enter on a nav link changes the page', async () => {
    const { page } = await watchedPage(fx.browser, fx.server.url);
    await signInThroughPage(page, 'admin', 'correct horse battery');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.getByRole('link', { name: 'Jobs' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/jobs');
    await page.context().close();
  }, 60_000);

  it('keeps the token for WebSocket upgrades: a signed-in user records a session, sees it listed, and has no Admin page', async () => {
    const { page, problems } = await watchedPage(fx.browser, fx.server.url);
    await signInThroughPage(page, 'ada', 'analytical engine');
    expect(await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Record' }).click();
    await page.locator('.transcript li').first().waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('status').filter({ hasText: 'Stopped.' }).waitFor();
    const sessionId = await page.getByRole('status').getByRole('link').textContent();
    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.locator(`main a[href="/sessions/${sessionId}"]`).waitFor();
    const rows = fx.server.db().query('SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.name = ?').all('ada');
    expect(rows).toEqual([{ id: sessionId }]);

    // Signing out forgets the token: the next page asks again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem('voxlog.token'))).toBeNull();
    expect(problems).toEqual([]);
  }, 60_000);

  it('says when a password is wrong', async () => {
    const { page } = await watchedPage(fx.browser, fx.server.url);
    await page.goto(`${fx.server.url}/`);
    await page.getByLabel('User name').fill('ada');
    await page.getByLabel('Password').fill('not her password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/password|credentials/i);
    await page.context().close();
  }, 30_000);

  it('lets an admin create a user and an API key (shown once, and it works) and change job concurrency', async () => {
    const { page, problems } = await watchedPage(fx.browser, fx.server.url);
    await signInThroughPage(page, 'admin', 'correct horse battery');
    await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Admin' }).click();
    const newUser = page.getByRole('form', { name: 'new user' });
    await newUser.getByLabel('New user').fill('grace');
    await newUser.getByLabel('Password').fill('compiler compiler');
    await newUser.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('table', { name: 'users' }).getByRole('cell', { name: 'grace' }).waitFor();

    const newKey = page.getByRole('form', { name: 'new API key' });
    await newKey.getByLabel('Key name').fill('e2e key');
    await newKey.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.locator('.secret').textContent())!;
    expect((await fetch(`${fx.server.url}/api/v1/sessions`, { headers: { authorization: `Token ${key}` } })).status).toBe(200);
    await page.getByRole('table', { name: 'API keys' }).getByRole('cell', { name: 'e2e key' }).waitFor();

    const concurrency = page.getByRole('form', { name: 'Jobs run at once' });
    await concurrency.getByRole('spinbutton').fill('3');
    await concurrency.getByRole('button', { name: 'Save' }).click();
    await concurrency.getByRole('status').waitFor();
    expect(fx.server.jobs.settings().max_concurrent_jobs).toBe(3);
    expect(problems).toEqual([]);
    await page.context().close();
  }, 60_000);
});
