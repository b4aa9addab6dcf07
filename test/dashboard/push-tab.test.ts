import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { LocalPushService, call, callOk, createTenant, type Stack, type Tenant } from '@herald/testing';
import { WAIT_MS, startStackAndBrowser, stopStackAndBrowser } from './browser.js';

// The app's Push tab against the real apps and the local push service (libs/testing push-service.ts,
// on loopback: the test stack allows private endpoints): the VAPID key, a subscription made over REST,
// a test notification that the push service receives, decrypts and answers, the log and counters.

let stack: Stack;
let browser: Browser;
let pushService: LocalPushService;
before(async () => {
  [{ stack, browser }, pushService] = await Promise.all([startStackAndBrowser(), LocalPushService.start()]);
}, { timeout: 60_000 });
after(async () => {
  await pushService?.stop();
  await stopStackAndBrowser(stack, browser);
}, { timeout: 30_000 });

async function open(t: Tenant, path: string): Promise<{ page: Page; csp: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  await context.addInitScript((token) => localStorage.setItem('herald.token', token), t.token);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const csp: string[] = [];
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && csp.push(m.text()));
  await page.goto(`${stack.apiUrl}${path}`);
  return { page, csp };
}

test('Push tab: the VAPID key, a REST subscription listed, a test notification the push service decrypts, the log and counters, delete', async () => {
  const t = await createTenant(stack.apiUrl);
  const subscriber = pushService.subscriber();
  await callOk(stack.apiUrl, 'POST', '/v1/push/subscriptions', { json: { appkey: t.commonKey, subscription: subscriber.json, channels: ['news', 'orders'], userId: 'ann' } });
  const { publicKey } = await callOk<{ publicKey: string }>(stack.apiUrl, 'GET', `/v1/push/vapid-key?appkey=${t.commonKey}`);

  const { page, csp } = await open(t, `/apps/${t.appId}/push`);
  await page.getByRole('link', { name: 'Push', exact: true }).waitFor();
  const overview = page.getByTestId('push-overview');
  assert.equal(await overview.getByTestId('key-vapid-public-key').textContent(), publicKey);
  await overview.getByTestId('push-subscriptions').getByText('1', { exact: true }).waitFor();
  const list = page.getByTestId('push-subscription-list');
  const row = list.locator('tr', { hasText: 'news, orders' });
  await row.waitFor();
  assert.match((await row.textContent())!, new RegExp(`${new URL(pushService.origin).host}.*news, orders.*ann`));
  // The page's own snippet names this deployment and the app's common key.
  assert.match((await page.locator('.code', { hasText: 'your service worker' }).textContent())!, new RegExp(`importScripts\\('${stack.gateways[0].url}/sdk/herald-sw.js'\\)`));
  assert.match((await page.locator('.code', { hasText: 'subscribe' }).textContent())!, new RegExp(`appkey: '${t.commonKey}'`));

  // A client-side check first: no target, no request.
  const form = page.getByRole('form', { name: 'Send a test notification' });
  await form.getByRole('button', { name: 'Send test notification' }).click();
  await form.getByText('Pick a subscription or a channel.').waitFor();

  const options = await form.locator('select[name=push-target] option').allTextContents();
  const label = options.find((o) => o.includes('ann'))!;
  assert.ok(label, JSON.stringify(options));
  await form.locator('select[name=push-target]').selectOption({ label });
  await form.locator('input[name=push-title]').fill('Dashboard test');
  await form.locator('input[name=push-body]').fill('Hello Ann');
  await form.getByRole('button', { name: 'Send test notification' }).click();
  await page.getByTestId('push-test-sent').waitFor();

  const [plaintext] = await pushService.waitForDelivered(subscriber, 1, WAIT_MS);
  const notice = JSON.parse(plaintext) as { title: string; body: string; channel: string; id: string };
  assert.equal(notice.title, 'Dashboard test');
  assert.equal(notice.body, 'Hello Ann');
  assert.equal(pushService.requests(subscriber)[0].vapid?.k, publicKey, 'signed with the key the tab shows');

  const log = page.getByTestId('push-delivery-log');
  const attempt = log.locator('tr', { hasText: notice.id });
  await attempt.waitFor();
  assert.match((await attempt.textContent())!, /HTTP 201.*delivered/);
  await overview.getByTestId('push-delivered').getByText('1', { exact: true }).waitFor();
  await overview.getByTestId('push-sent').getByText('1', { exact: true }).waitFor();

  await row.getByRole('button', { name: /Delete subscription/ }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await list.getByText('No push subscriptions').waitFor();
  const left = await callOk<{ subscriptions: unknown[] }>(stack.apiUrl, 'GET', `/v1/apps/${t.appId}/push/subscriptions`, { token: t.token });
  assert.deepEqual(left.subscriptions, []);
  await overview.getByTestId('push-subscriptions').getByText('0', { exact: true }).waitFor();
  assert.deepEqual(csp, [], 'the tab fits the dashboard CSP');
  await page.context().close();
});

test("Push tab of another account's app: not found, and nothing of it reaches the page", async () => {
  const owner = await createTenant(stack.apiUrl);
  const other = await createTenant(stack.apiUrl);
  const subscriber = pushService.subscriber();
  await callOk(stack.apiUrl, 'POST', '/v1/push/subscriptions', { json: { appkey: owner.commonKey, subscription: subscriber.json, channels: ['news'] } });
  const { page } = await open(other, `/apps/${owner.appId}/push`);
  await page.getByText('App not found').waitFor();
  assert.equal((await page.content()).includes(subscriber.endpoint), false);
  for (const path of ['', '/subscriptions', '/deliveries']) {
    const r = await call(stack.apiUrl, 'GET', `/v1/apps/${owner.appId}/push${path}`, { token: other.token });
    assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.body)}`);
  }
  const sent = await call(stack.apiUrl, 'POST', `/v1/apps/${owner.appId}/push/test`, { token: other.token, json: { channel: 'news', title: 'x', body: 'y' } });
  assert.equal(sent.status, 404);
  assert.deepEqual(pushService.requests(subscriber), [], 'no push reached the owner’s subscriber');
  await page.context().close();
});
