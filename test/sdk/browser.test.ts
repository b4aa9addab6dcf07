import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, TcpProxy, createTenant, restPublish, startStack, waitFor, type Stack } from '@herald/testing';
import { WAIT_MS } from './sdk.js';

// Headless Chromium (Debian's package, driven by playwright-core) against the real apps, through a
// TCP proxy the test controls: the script-tag SDK served by the gateway, the chat demo, and a cut.
const CHROMIUM = process.env.HERALD_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const CUT_MS = Number(process.env.HERALD_SDK_CUT_MS || 3000);

let stack: Stack;
let proxy: TcpProxy;
let browser: Browser;
before(async () => {
  [stack, browser] = await Promise.all([startStack(), chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true })]);
  proxy = await TcpProxy.start(stack.gateways[0].port);
}, { timeout: 60_000 });
after(async () => {
  await browser?.close();
  await proxy?.stop();
  await stack?.stop();
}, { timeout: 30_000 });

interface PageState {
  got: Array<{ offset: number; content: unknown }>;
  statuses: Array<{ s: string; at: number }>;
  lastAt: number;
}
declare const window: { state: PageState; Herald: { init(o: object): { on(e: string, f: (s: string) => void): void; connect(): Promise<void>; pubsub: { subscribe(o: object): Promise<void> } } } };

/** A blank page of the gateway's origin with the script-tag SDK, subscribed to `channel`. */
async function sdkPage(appkey: string, channel: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${proxy.url}/health`);
  await page.addScriptTag({ url: '/sdk/herald.js' });
  await page.evaluate(
    async ({ appkey, channel }) => {
      const state: PageState = { got: [], statuses: [], lastAt: 0 };
      window.state = state;
      const client = window.Herald.init({ host: location.origin, appkey, minReconnectDelay: 100, maxReconnectDelay: 500 });
      client.on('status', (s) => state.statuses.push({ s, at: performance.now() }));
      await client.connect();
      await client.pubsub.subscribe({
        channel,
        onMessage: (m: { offset: number; content: unknown }) => {
          state.got.push({ offset: m.offset, content: m.content });
          state.lastAt = performance.now();
        },
      });
    },
    { appkey, channel },
  );
  return page;
}

const state = (page: Page) => page.evaluate(() => window.state);

test('the page loads /sdk/herald.js from the gateway, subscribes, and receives a REST publish', async () => {
  const t = await createTenant(stack.apiUrl);
  const res = await fetch(`${proxy.url}/sdk/herald.js`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /javascript/);
  const etag = res.headers.get('etag')!;
  assert.equal((await fetch(`${proxy.url}/sdk/herald.js`, { headers: { 'if-none-match': etag } })).status, 304);
  assert.equal((await fetch(`${proxy.url}/sdk/herald.js.map`)).status, 200);

  const page = await sdkPage(t.commonKey, 'news');
  await restPublish(stack.apiUrl, t.secret, { channel: 'news', message: { hello: 'browser' } });
  await waitFor(async () => (await state(page)).got.length === 1, { timeoutMs: WAIT_MS, what: 'the message in the page' });
  assert.deepEqual((await state(page)).got[0].content, { hello: 'browser' });
  await page.close();
});

test('chat demo: two pages see each other, exchange messages, history on join', async () => {
  const t = await createTenant(stack.apiUrl);
  await restPublish(stack.apiUrl, t.secret, { channel: 'lobby', message: { nick: 'Herald', text: 'Welcome to the lobby!', from: 'server' } });
  const open = async (nick: string) => {
    const page = await browser.newPage({ viewport: { width: 900, height: 560 } });
    await page.goto(`${proxy.url}/examples/chat/?appkey=${t.commonKey}&nick=${nick}&autojoin=1`);
    await page.locator('#status[data-status=connected]').waitFor({ timeout: WAIT_MS });
    return page;
  };
  const ann = await open('Ann');
  const bob = await open('Bob');
  for (const page of [ann, bob]) {
    await page.locator('#members li', { hasText: 'Bob' }).waitFor({ timeout: WAIT_MS });
    await page.locator('#members li', { hasText: 'Ann' }).waitFor({ timeout: WAIT_MS });
    await page.locator('.msg', { hasText: 'Welcome to the lobby!' }).waitFor({ timeout: WAIT_MS });
  }
  await ann.fill('#say input', 'Hi Bob!');
  await ann.press('#say input', 'Enter');
  await bob.locator('.msg', { hasText: 'Hi Bob!' }).waitFor({ timeout: WAIT_MS });
  await bob.fill('#say input', 'Hello Ann, all good here.');
  await bob.press('#say input', 'Enter');
  await ann.locator('.msg.mine', { hasText: 'Hi Bob!' }).waitFor({ timeout: WAIT_MS });
  await ann.locator('.msg', { hasText: 'Hello Ann' }).waitFor({ timeout: WAIT_MS });
  assert.equal(await ann.locator('#amount').textContent(), '2');
  mkdirSync(path.join(ROOT, 'docs/img'), { recursive: true });
  await ann.screenshot({ path: path.join(ROOT, 'docs/img/chat.png') });
  await Promise.all([ann.close(), bob.close()]);
});

test('the network is cut for a few seconds: reconnecting → reconnected, every missed message once, in order', async () => {
  const t = await createTenant(stack.apiUrl);
  const page = await sdkPage(t.commonKey, 'ticks');
  for (let i = 0; i < 5; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'ticks', message: i });
  await waitFor(async () => (await state(page)).got.length === 5, { timeoutMs: WAIT_MS, what: 'first 5' });

  // Down: open connections dropped, new ones dropped at once while we publish.
  proxy.retarget(null);
  proxy.cut();
  const total = 5 + 50;
  for (let i = 5; i < total; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'ticks', message: i });
  await new Promise((r) => setTimeout(r, CUT_MS));
  const restoredAt = await page.evaluate(() => performance.now());
  proxy.retarget(stack.gateways[0].port);

  await waitFor(async () => (await state(page)).got.length >= total, { timeoutMs: WAIT_MS, what: 'every missed message' });
  await new Promise((r) => setTimeout(r, 300));
  const s = await state(page);
  assert.deepEqual(s.got.map((m) => m.content), Array.from({ length: total }, (_, i) => i), 'gap, duplicate or disorder');
  const names = s.statuses.map((x) => x.s);
  assert.ok(names.includes('reconnecting'), names.join(' → '));
  assert.equal(names.at(-1), 'reconnected', names.join(' → '));
  const reconnectedAt = s.statuses.at(-1)!.at;
  console.log(`reconnect-to-caught-up: ${(s.lastAt - restoredAt).toFixed(0)} ms from the network's return (incl. backoff wait), ${(s.lastAt - reconnectedAt).toFixed(0)} ms from 'reconnected' to the last of ${total - 5} missed messages`);
  await page.close();
});

test("the banner's console snippet: on the dashboard (its CSP blocks the script) it fails with a message; on a gateway page it prints `nick: text`", async () => {
  const t = await createTenant(stack.apiUrl);
  const { consoleSnippet, BLOCKED_MESSAGE } = (await import(pathToFileURL(path.join(ROOT, 'scripts/lib/console-snippet.mjs')).href)) as {
    consoleSnippet(o: { gateway: string; appkey: string; channel: string }): string[];
    BLOCKED_MESSAGE: string;
  };
  const code = `(async () => { try { ${consoleSnippet({ gateway: proxy.url, appkey: t.commonKey, channel: 'lobby' }).join('\n')} return 'ran'; } catch (e) { return e.message; } })()`;

  const dashboard = await browser.newPage();
  await dashboard.goto(`${stack.apiUrl}/`);
  assert.equal(await dashboard.evaluate(code), BLOCKED_MESSAGE);
  await dashboard.close();

  const gatewayPage = await browser.newPage();
  const logged: string[] = [];
  gatewayPage.on('console', (m) => logged.push(m.text()));
  await gatewayPage.goto(`${proxy.url}/health`);
  assert.equal(await gatewayPage.evaluate(code), 'ran');
  // subscribe() is not awaited by the snippet: publish until its subscription is in place.
  await waitFor(
    async () => {
      await restPublish(stack.apiUrl, t.secret, { channel: 'lobby', message: { nick: 'curl', text: 'hello' } });
      return logged.includes('curl: hello');
    },
    { timeoutMs: WAIT_MS, intervalMs: 500, what: `"curl: hello" in the console: ${JSON.stringify(logged)}` },
  );
  await gatewayPage.close();
});
