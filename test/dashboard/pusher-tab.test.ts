import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import PusherJsModule from 'pusher-js';
import PusherServer from 'pusher';
import { createTenant, waitFor, type Stack, type Tenant } from '@herald/testing';
import { WAIT_MS, startStackAndBrowser, stopStackAndBrowser } from './browser.js';

// The app's Pusher tab: credentials (the secret only behind Reveal) and snippets whose values work —
// the `.env` snippet's PUSHER_* drive the real `pusher` library and its VITE_PUSHER_* the real pusher-js.
const PusherJs = PusherJsModule as unknown as typeof PusherJsModule.default;

let stack: Stack;
let browser: Browser;
before(async () => void ({ stack, browser } = await startStackAndBrowser({ workers: 0 })), { timeout: 60_000 });
after(() => stopStackAndBrowser(stack, browser), { timeout: 30_000 });

async function open(tenant: Tenant): Promise<{ page: Page; reveals: string[]; secretSeen: () => boolean }> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await context.addInitScript((t) => localStorage.setItem('herald.token', t), tenant.token);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const reveals: string[] = [];
  let seen = false;
  page.on('request', (r) => r.url().includes('/secret/reveal') && reveals.push(r.url()));
  page.on('response', (r) => void r.text().then((body) => (seen ||= body.includes(tenant.secret)), () => undefined));
  return { page, reveals, secretSeen: () => seen };
}

const snippet = (page: Page, label: string) => page.locator('.code', { hasText: label }).locator('code').textContent() as Promise<string>;

function envOf(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

test('Pusher tab: app_id, key, endpoints and snippets; the secret reaches the page only after Reveal, and the .env values work', async () => {
  const t = await createTenant(stack.apiUrl);
  const { page, reveals, secretSeen } = await open(t);
  await page.goto(`${stack.apiUrl}/apps/${t.appId}/pusher`);
  const card = page.getByTestId('pusher-credentials');
  await card.getByTestId('key-pusher-key').waitFor();
  assert.equal(await card.getByTestId('key-pusher-app_id').textContent(), t.appId);
  assert.equal(await card.getByTestId('key-pusher-key').textContent(), t.commonKey);
  const gw = new URL(stack.gateways[0].url);
  // Server libraries are pointed at HERALD_PUBLIC_API_URL (GET /v1/config), which this stack leaves at its default.
  const api = new URL((await (await fetch(`${stack.apiUrl}/v1/config`)).json() as { apiUrl: string }).apiUrl);
  assert.equal(await card.getByTestId('pusher-ws').textContent(), `ws://${gw.hostname}:${gw.port}/app/{key}`);
  assert.equal(await card.getByTestId('pusher-api').textContent(), `http://${api.hostname}:${api.port}/apps/{app_id}`);

  const hidden = envOf(await snippet(page, '.env · Pusher driver'));
  assert.match(hidden.PUSHER_APP_SECRET, /^<your secret/);
  assert.equal((await page.content()).includes(t.secret), false);
  assert.deepEqual(reveals, [], 'nothing asked for the secret before Reveal');
  assert.equal(secretSeen(), false, 'no response carried the secret before Reveal');
  assert.match(await snippet(page, 'JavaScript · Laravel Echo'), /broadcaster: 'pusher'/);
  assert.match(await snippet(page, 'HTML · pusher-js'), new RegExp(`new Pusher\\('${t.commonKey}'[\\s\\S]*wsPort: ${gw.port}[\\s\\S]*withHeraldReplay`));

  await card.getByRole('button', { name: 'Reveal secret' }).click();
  await card.getByTestId('key-pusher-secret').waitFor();
  assert.equal(await card.getByTestId('key-pusher-secret').textContent(), t.secret);
  const env = envOf(await snippet(page, '.env · Pusher driver'));
  const reverb = envOf(await snippet(page, '.env · Reverb driver'));
  assert.match(await snippet(page, 'JavaScript · pusher'), new RegExp(`secret: '${t.secret}'`));
  for (const [name, value] of Object.entries({ APP_ID: t.appId, APP_KEY: t.commonKey, APP_SECRET: t.secret, HOST: api.hostname, PORT: api.port, SCHEME: 'http' })) {
    assert.equal(env[`PUSHER_${name}`], value, `PUSHER_${name}`);
    assert.equal(reverb[`REVERB_${name}`], value, `REVERB_${name}`);
  }
  assert.deepEqual([env.VITE_PUSHER_HOST, env.VITE_PUSHER_PORT, env.VITE_PUSHER_SCHEME], [gw.hostname, gw.port, 'http']);
  assert.deepEqual([reverb.VITE_REVERB_HOST, reverb.VITE_REVERB_PORT], [gw.hostname, gw.port]);

  // The values as a Laravel app would use them: the server library triggers, pusher-js receives.
  const client = new PusherJs(env.PUSHER_APP_KEY, { cluster: 'herald', wsHost: env.VITE_PUSHER_HOST, wsPort: Number(env.VITE_PUSHER_PORT), forceTLS: false, enabledTransports: ['ws'], disableStats: true });
  try {
    const got: unknown[] = [];
    const channel = client.subscribe('orders');
    channel.bind('shipped', (d: unknown) => got.push(d));
    await waitFor(() => channel.subscribed, { what: 'subscribed with the snippet values' });
    const reachable = new URL(stack.apiUrl); // the stack's real API port (its public URL is the default, see above)
    const server = new PusherServer({ appId: env.PUSHER_APP_ID, key: env.PUSHER_APP_KEY, secret: env.PUSHER_APP_SECRET, host: reachable.hostname, port: reachable.port, useTLS: env.PUSHER_SCHEME === 'https' });
    await server.trigger('orders', 'shipped', { id: 42 });
    await waitFor(() => got.length === 1, { what: 'the trigger received' });
    assert.deepEqual(got, [{ id: 42 }]);
  } finally {
    client.disconnect();
  }
  await page.context().close();
});

test("another account's Pusher tab shows nothing of the app", async () => {
  const [owner, other] = await Promise.all([createTenant(stack.apiUrl), createTenant(stack.apiUrl)]);
  const { page, reveals } = await open(other);
  await page.goto(`${stack.apiUrl}/apps/${owner.appId}/pusher`);
  await page.getByText('App not found').waitFor();
  const html = await page.content();
  assert.equal(html.includes(owner.commonKey), false);
  assert.equal(html.includes(owner.secret), false);
  assert.deepEqual(reveals, []);
  await page.context().close();
});
