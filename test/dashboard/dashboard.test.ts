import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { environment, loadConfig } from '@herald/config';
import { ROOT, WsClient, call, callOk, createTenant, restPublish, waitFor, type Stack, type Tenant } from '@herald/testing';
import { WAIT_MS, startStackAndBrowser, stopStackAndBrowser } from './browser.js';

// The dashboard (apps/dashboard, served by the API at /) in headless Chromium against the real apps.
// HERALD_SCREENSHOTS=1 also writes docs/img/dashboard-*.png at 1366×768.
const SCREENSHOTS = environment().HERALD_SCREENSHOTS === '1';
const VIEWPORT = { width: 1366, height: 768 };
const PASSWORD = 'password-123';

let stack: Stack;
let browser: Browser;
before(async () => {
  // Short roll-ups so the usage chart shows what was just published; the API's /v1/config names this
  // stack's gateway, which the debug console connects to.
  ({ stack, browser } = await startStackAndBrowser({ env: { HERALD_USAGE_ROLLUP_MS: '300' } }));
}, { timeout: 60_000 });
/** Content-Security-Policy violations reported by any page of this file: the policy must fit the SPA. */
const cspViolations: string[] = [];
after(async () => {
  await stopStackAndBrowser(stack, browser);
  assert.deepEqual(cspViolations, [], 'no page broke the dashboard CSP');
}, { timeout: 30_000 });

const occurrences = (text: string, needle: string) => text.toLowerCase().split(needle.toLowerCase()).length - 1;
const email = (tag: string) => `${tag}-${randomBytes(5).toString('hex')}@test.herald`;

/** A 1366×768 page on the API's origin, optionally already logged in. */
async function openPage(token?: string): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.apiUrl });
  if (token) await context.addInitScript((t) => localStorage.setItem('herald.token', t), token);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  return { page, context };
}

/** Presses Tab until the focused element matches, as a keyboard user would. */
async function tabTo(page: Page, what: string, matches: (el: { tag: string; text: string; label: string; name: string }) => boolean, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const el = await page.evaluate(() => {
      const a = document.activeElement as HTMLElement | null;
      return { tag: a?.tagName ?? '', text: (a?.textContent ?? '').trim(), label: a?.getAttribute('aria-label') ?? '', name: a?.getAttribute('name') ?? '' };
    });
    if (matches(el)) return;
  }
  throw new Error(`${what} not reached with ${max} Tab presses`);
}

async function shot(page: Page, name: string, { top = true, fullPage = false } = {}): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(path.join(ROOT, 'docs/img'), { recursive: true });
  if (top) await page.evaluate(() => ((document.activeElement as HTMLElement | null)?.blur(), window.scrollTo(0, 0)));
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(ROOT, 'docs/img', `${name}.png`), fullPage });
}

async function makeAdmin(address: string): Promise<void> {
  const db = new pg.Client({ connectionString: loadConfig({ ...environment(), ...stack.env }).databaseUrl });
  await db.connect();
  try {
    await db.query(`UPDATE "Account" SET role = 'admin' WHERE email = $1`, [address]);
  } finally {
    await db.end();
  }
}

test('the API serves the SPA at / with a history-API fallback, and never over its own paths', async () => {
  const index = await fetch(`${stack.apiUrl}/apps/app_x/keys`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type')!, /html/);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  const csp = index.headers.get('content-security-policy')!;
  assert.match(csp, /script-src 'self'/);
  assert.ok(csp.includes(`${stack.gateways[0].url} ${stack.gateways[0].url.replace('http', 'ws')}`), csp);
  assert.equal(index.headers.get('x-frame-options'), 'DENY');
  const html = await index.text();
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1];
  const js = await fetch(stack.apiUrl + asset);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('cache-control')!, /max-age=31536000, immutable/);
  assert.equal((await fetch(`${stack.apiUrl}/assets/nope-123.js`)).status, 404);
  const api404 = await call(stack.apiUrl, 'GET', '/v1/nothing-here');
  assert.equal(api404.status, 404);
  assert.equal(typeof (api404.body as { code?: number }).code, 'number', 'an unknown /v1 path is the API’s JSON 404');
  assert.equal((await fetch(`${stack.apiUrl}/health`)).status, 200);
  assert.match((await fetch(`${stack.apiUrl}/docs-json`)).headers.get('content-type')!, /json/);
  // What the debug console connects to: this stack's gateway.
  assert.equal((await callOk<{ gatewayUrl: string }>(stack.apiUrl, 'GET', '/v1/config')).gatewayUrl, stack.gateways[0].url);
});

test('keyboard alone: sign up → create app → copy the common key → debug console → publish → the message is in the log', async () => {
  const { page, context } = await openPage();
  const address = email('kbd');
  await page.goto(`${stack.apiUrl}/signup`);
  // Sign up: the email field has focus; Tab to the password; Enter submits.
  await page.locator('input[name=email]:focus').waitFor();
  await page.keyboard.type(address);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  // Create app: the name field has focus; Enter submits.
  await page.waitForURL('**/apps/new');
  await page.locator('input[name=name]:focus').waitFor();
  await page.keyboard.type('Keyboard app');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/apps\/app_[^/]+$/);
  const appId = page.url().split('/').pop()!;
  await page.getByTestId('app-name').filter({ hasText: 'Keyboard app' }).waitFor();
  await page.getByText('EU West (Frankfurt)').waitFor(); // the region label, stored by the API

  // Copy the common key with the keyboard; the clipboard holds exactly the app's active common key.
  const token = await page.evaluate(() => localStorage.getItem('herald.token'));
  const keys = await callOk<Array<{ kind: string; status: string; value: string }>>(stack.apiUrl, 'GET', `/v1/apps/${appId}/keys`, { token: token! });
  const common = keys.find((k) => k.kind === 'common' && k.status === 'active')!.value;
  await page.getByTestId('key-common-key').filter({ hasText: common }).waitFor();
  // The Quick start's snippets use the README's channel, lobby, and its message shape (nick, text).
  const snippets = (await page.locator('.code pre').allTextContents()).join('\n');
  assert.match(snippets, /channel: 'lobby'/);
  assert.match(snippets, /"channel":"lobby","message":\{"nick":"curl","text":"Hello!"\}/);
  assert.doesNotMatch(snippets, /my-channel|test-channel/);
  await tabTo(page, 'the common key’s copy button', (el) => el.label.startsWith('Copy Common key'));
  await page.keyboard.press('Enter');
  await waitFor(async () => (await page.evaluate(() => navigator.clipboard.readText())) === common, { timeoutMs: WAIT_MS, what: 'the common key in the clipboard' });
  assert.equal(await page.evaluate(() => document.body.dataset.copied), common);

  // Open the debug console (a link in step 2), connected through the SDK with that key.
  await tabTo(page, 'the debug console link', (el) => el.tag === 'A' && el.text === 'Open the debug console');
  await page.keyboard.press('Enter');
  await page.waitForURL('**/console');
  await page.locator('[data-testid=console-status][data-status=connected]').waitFor();
  await page.locator('.log-line.subscribe', { hasText: 'subscribed to lobby' }).waitFor();

  // Publish the default test message from the form by keyboard.
  await tabTo(page, 'the publish button', (el) => el.tag === 'BUTTON' && el.text === 'Publish');
  await page.keyboard.press('Enter');
  await page.locator('.log-line.message', { hasText: 'Hello from the Herald console' }).waitFor();
  await page.locator('.log-line.publish', { hasText: 'published to lobby at offset 1' }).waitFor();

  // And a server-side publish with the secret arrives live as well.
  const secret = (await callOk<{ secret: string }>(stack.apiUrl, 'POST', `/v1/apps/${appId}/keys/secret/reveal`, { token: token! })).secret;
  await restPublish(stack.apiUrl, secret, { channel: 'lobby', message: { from: 'server' } });
  await page.locator('.log-line.message', { hasText: '{"from":"server"}' }).waitFor();
  await shot(page, 'dashboard-console');
  await context.close();
});

test('rotate a key: the new key is shown and active, the old one is marked retiring', async () => {
  const t = await createTenant(stack.apiUrl);
  const { page, context } = await openPage(t.token);
  await page.goto(`${stack.apiUrl}/apps/${t.appId}/keys`);
  const card = page.getByTestId('keys-common');
  await card.locator(`tr[data-status=active]`, { hasText: t.commonKey }).waitFor();
  // The secret stays hidden until Reveal.
  const secretCard = page.getByTestId('keys-secret');
  assert.equal(await secretCard.getByText(t.secret).count(), 0);
  await secretCard.getByRole('button', { name: 'Reveal secret' }).click();
  await secretCard.getByText(t.secret).waitFor();

  await card.getByRole('button', { name: 'Rotate…' }).click();
  const dialog = page.getByTestId('rotate-dialog');
  // The owner picks the grace period: 7 days, and the API's retire date says so.
  await dialog.getByLabel('Grace period').selectOption({ label: '7 days' });
  const asked = Date.now();
  await dialog.getByRole('button', { name: 'Rotate', exact: true }).click();
  await dialog.getByTestId('grace').filter({ hasText: 'keeps working until' }).waitFor();
  const keys = await callOk<Array<{ value?: string; retiresAt: string | null }>>(stack.apiUrl, 'GET', `/v1/apps/${t.appId}/keys`, { token: t.token });
  const retires = Date.parse(keys.find((k) => k.value === t.commonKey)!.retiresAt!);
  assert.ok(Math.abs(retires - (asked + 7 * 86_400_000)) < 60_000, `retires ${new Date(retires).toISOString()}`);
  const fresh = (await dialog.getByTestId('key-new-key').textContent())!;
  assert.match(fresh, /^BC-/);
  assert.notEqual(fresh, t.commonKey);
  await shot(page, 'dashboard-keys-rotated');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await card.locator('tr[data-status=active]', { hasText: fresh }).waitFor();
  await card.locator('tr[data-status=retiring]', { hasText: t.commonKey }).waitFor();
  await shot(page, 'dashboard-keys');
  await context.close();
});

test('scheduled messages tab: schedule one, see it listed, cancel it (session only, no secret revealed)', async () => {
  const t = await createTenant(stack.apiUrl);
  const { page, context } = await openPage(t.token);
  const revealed: string[] = [];
  page.on('request', (r) => r.url().includes('/secret/reveal') && revealed.push(r.url()));
  await page.goto(`${stack.apiUrl}/apps/${t.appId}/scheduled`);
  await page.getByText('No scheduled messages').waitFor();
  const form = page.getByRole('form', { name: 'Schedule a message' });
  await form.getByLabel('Channel').fill('later');
  await form.getByLabel('Deliver in (minutes)').fill('5');
  await form.getByRole('button', { name: 'Schedule' }).click();
  const row = page.locator('tr', { hasText: 'later' });
  await row.waitFor();
  const listed = await callOk<Array<{ id: string; channel: string }>>(stack.apiUrl, 'GET', '/v1/scheduled', { token: t.secret });
  assert.deepEqual(listed.map((r) => r.channel), ['later']);
  await row.getByRole('button', { name: 'Cancel' }).click();
  await page.getByText('No scheduled messages').waitFor();
  assert.deepEqual(await callOk(stack.apiUrl, 'GET', '/v1/scheduled', { token: t.secret }), []);
  assert.deepEqual(revealed, [], 'the secret was never asked for');
  await context.close();
});

test('admin suspends an app from the admin page: a connected client is closed with app_suspended', async () => {
  const t = await createTenant(stack.apiUrl);
  const admin = email('admin');
  await callOk(stack.apiUrl, 'POST', '/v1/accounts', { json: { email: admin, password: PASSWORD } });
  await makeAdmin(admin);
  const client = await WsClient.connect(stack.wsUrl(), t.commonKey);
  assert.ok(client.frames.some((f) => f.type === 'connected'));
  for (const name of ['Acme chat (production)', 'Acme live scores']) await callOk(stack.apiUrl, 'POST', '/v1/apps', { token: t.token, json: { name, planId: 'pro' } });
  const owner = (await callOk<{ email: string }>(stack.apiUrl, 'GET', '/v1/me', { token: t.token })).email;

  const { page, context } = await openPage();
  await page.goto(`${stack.apiUrl}/login`);
  await page.locator('input[name=email]:focus').waitFor();
  await page.keyboard.type(admin);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('link', { name: 'Admin' }).click();
  // This tenant's three apps (the test database holds every other test's apps too).
  await page.getByPlaceholder('Search by id, name or owner…').fill(owner);
  const row = page.locator(`tr[data-app-id="${t.appId}"]`);
  await row.waitFor();
  await page.locator('[data-testid=admin-apps] tbody tr').nth(2).waitFor();
  await shot(page, 'dashboard-admin');
  await row.getByRole('button', { name: /^Suspend/ }).click();
  await page.locator('input[name=reason]:focus').waitFor();
  await page.keyboard.type('Abuse report #42');
  await page.keyboard.press('Enter');
  await page.locator(`tr[data-app-id="${t.appId}"][data-status=suspended]`).waitFor();

  await client.waitClosed(WAIT_MS);
  assert.match(client.closeReason ?? '', /^app_suspended/);
  assert.equal(client.closeCode, 4403);
  const refused = await call(stack.apiUrl, 'POST', '/v1/publish', { token: t.secret, json: { channel: 'x', message: 1 } });
  assert.equal(refused.status, 403);

  await row.getByRole('button', { name: /^Resume/ }).click();
  await page.locator(`tr[data-app-id="${t.appId}"][data-status=active]`).waitFor();
  await context.close();
});

test('N messages published → the usage chart’s data shows N for today after the roll-up', async () => {
  const t: Tenant = await createTenant(stack.apiUrl);
  const N = 7;
  const subscriber = await WsClient.connect(stack.wsUrl(), t.commonKey);
  await subscriber.subscribe('scores');
  for (let i = 0; i < N; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'scores', message: { home: i, away: 1 } });
  await subscriber.waitForMessages(N, 'scores');
  const { page, context } = await openPage(t.token);
  await page.goto(`${stack.apiUrl}/apps/${t.appId}/stats`);
  const chart = page.getByTestId('chart-messages-per-day');
  const today = new Date().toISOString().slice(0, 10);
  await waitFor(
    async () => {
      const data = JSON.parse((await chart.getAttribute('data-chart')) ?? '[]') as Array<{ day: string; publishes: number; deliveries: number }>;
      // Deliveries are flushed by the gateway once a second, publishes at accept: wait for both.
      const day = data.find((d) => d.day === today);
      if (day?.publishes === N && day.deliveries === N) return true;
      await page.getByRole('button', { name: 'Refresh' }).first().click();
      return false;
    },
    { timeoutMs: WAIT_MS, intervalMs: 500, what: `${N} publishes and deliveries today in the chart` },
  );
  const data = JSON.parse((await chart.getAttribute('data-chart'))!) as Array<{ day: string; publishes: number; deliveries: number }>;
  assert.equal(data.length, 30);
  assert.equal(data.reduce((s, d) => s + d.publishes, 0), N);
  assert.equal(data.find((d) => d.day === today)!.deliveries, N, 'one subscriber got each message');
  // The occupied channel with its subscriber, and its history in the viewer.
  await page.locator('[data-testid=channels-table] tr', { hasText: 'scores' }).click();
  await page.locator('[data-testid=history-table] tbody tr').nth(N - 1).waitFor();

  if (SCREENSHOTS) {
    for (const name of ['Chat (production)', 'Live scores']) await callOk(stack.apiUrl, 'POST', '/v1/apps', { token: t.token, json: { name, planId: 'pro' } });
    await page.goto(`${stack.apiUrl}/apps`);
    await page.getByTestId('app-list').waitFor();
    await shot(page, 'dashboard-apps');
    await page.goto(`${stack.apiUrl}/apps/${t.appId}/stats?live=1000`);
    await page.getByTestId('chart-live-connections').waitFor();
    await page.waitForTimeout(4000);
    await page.locator('[data-testid=channels-table] tr', { hasText: 'scores' }).click();
    await page.locator('[data-testid=history-table] tbody tr').nth(N - 1).waitFor();
    await shot(page, 'dashboard-stats', { fullPage: true });
  }
  subscriber.close();
  await context.close();
});

test('empty state for a new account, and the API’s error shown when it fails', async () => {
  const address = email('empty');
  const { token } = await callOk<{ token: string }>(stack.apiUrl, 'POST', '/v1/accounts', { json: { email: address, password: PASSWORD } });
  const { page, context } = await openPage(token);
  await page.goto(`${stack.apiUrl}/apps`);
  const empty = page.getByTestId('empty-state');
  await empty.filter({ hasText: 'No apps yet' }).waitFor();
  await empty.getByRole('link', { name: 'Create your first app' }).waitFor();

  await page.route('**/v1/apps', (route) => route.fulfill({ status: 500, json: { code: 500, content: 'Database unavailable', reason: 'internal_error' } }));
  await page.reload();
  const banner = page.getByTestId('error-banner');
  await banner.filter({ hasText: 'Database unavailable' }).waitFor();
  assert.match((await banner.textContent())!, /Could not load your apps/);
  await page.unroute('**/v1/apps');
  await banner.getByRole('button', { name: 'Retry' }).click();
  await page.getByTestId('empty-state').waitFor();

  // An unknown app: the banner says "App not found" once, not as its title and again as the API's message.
  await page.goto(`${stack.apiUrl}/apps/app_doesnotexist`);
  const notFound = page.getByTestId('error-banner');
  await notFound.getByTestId('error-title').filter({ hasText: 'App not found' }).waitFor();
  assert.equal(occurrences((await notFound.textContent())!, 'not found'), 1, (await notFound.textContent())!);
  await context.close();

  // A form shows the API's own error: signing up again with the same email (after the form's own checks).
  const signup = await openPage();
  await signup.page.goto(`${stack.apiUrl}/signup`);
  await signup.page.locator('input[name=email]').fill('not-an-email');
  await signup.page.keyboard.press('Enter');
  await signup.page.locator('.field-error', { hasText: 'valid email' }).waitFor();
  assert.equal(await signup.page.evaluate(() => document.activeElement?.getAttribute('name')), 'email', 'focus moves to the first invalid field');
  await signup.page.locator('input[name=email]').fill(address);
  await signup.page.locator('input[name=password]').fill(PASSWORD);
  await signup.page.keyboard.press('Enter');
  const taken = signup.page.getByTestId('error-banner');
  await taken.filter({ hasText: /already|taken|exists|in use/i }).waitFor();
  // Without a page title the API's message is the heading, shown once, with its reason code; no "Error 409".
  const title = (await taken.getByTestId('error-title').textContent())!;
  assert.match(title, /already|taken|exists|in use/i);
  assert.doesNotMatch((await taken.textContent())!, /error/i);
  await signup.context.close();
});

test('the create-app form offers only selectable plans; Settings says which origins the app really allows and enables Pusher client events and counts', async () => {
  const t = await createTenant(stack.apiUrl, { planId: 'free' });
  const selectable = (await callOk<Array<{ id: string }>>(stack.apiUrl, 'GET', '/v1/plans')).map((p) => p.id);
  const { page, context } = await openPage(t.token);
  await page.goto(`${stack.apiUrl}/apps/new`);
  const plan = page.locator('select[name=plan]');
  await plan.locator('option[value=pro]').waitFor({ state: 'attached' });
  const offered = await plan.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  assert.deepEqual(offered.sort(), [...selectable].sort());
  assert.ok(!offered.includes('demo'), 'the unlimited demo plan is the operator’s to assign');

  // An empty allow-list allows every origin: the page must not say "no".
  await page.goto(`${stack.apiUrl}/apps/${t.appId}/settings`);
  await page.getByTestId('origins-allowed').filter({ hasText: 'any origin (the allow-list is empty)' }).waitFor();
  await callOk(stack.apiUrl, 'PATCH', `/v1/apps/${t.appId}`, { token: t.token, json: { allowedOrigins: ['https://shop.example'] } });
  await page.reload();
  await page.getByTestId('origins-allowed').filter({ hasText: 'only https://shop.example' }).waitFor();

  // Pusher client events and subscription counts: off by default, switched on from Settings.
  const clientEvents = page.getByLabel(/Pusher client events/);
  assert.equal(await clientEvents.isChecked(), false);
  await clientEvents.check();
  await page.getByLabel(/Pusher subscription counts/).check();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  const saved = await callOk<{ clientEvents: boolean; subscriptionCount: boolean }>(stack.apiUrl, 'GET', `/v1/apps/${t.appId}`, { token: t.token });
  assert.deepEqual([saved.clientEvents, saved.subscriptionCount], [true, true]);
  await context.close();
});
