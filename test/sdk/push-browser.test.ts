import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REASONS } from '@herald/protocol';
import { call, callOk, createTenant, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';
import { PushDevTools, PushSite, registerWorker, shownNotifications } from './push-site.js';
import { WAIT_MS } from './sdk.js';

// Web Push in headless Chromium against the real apps: the service-worker helper the gateway serves
// (imported by a customer's sw.js on its own origin) shows what the DevTools protocol delivers as a
// push; the script-tag SDK registers subscriptions with the real API. The SSRF guard is on, as in
// production: subscription endpoints here are public addresses, never contacted (nothing publishes, so
// no worker runs).
const CHROMIUM = process.env.HERALD_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let stack: Stack;
let browser: Browser;
let site: PushSite;
before(async () => {
  [stack, browser] = await Promise.all([startStack({ workers: 0, env: { HERALD_WEBHOOKS_ALLOW_PRIVATE: 'false' } }), chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true })]);
  site = await PushSite.start(stack.gateways[0].url);
}, { timeout: 60_000 });
after(async () => {
  await browser?.close();
  await site?.stop();
  await stack?.stop();
}, { timeout: 30_000 });

/** A fresh browser profile (own service workers, notifications, storage) on the customer's page. */
async function customerPage(opts: { notifications?: boolean; path?: string } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  if (opts.notifications !== false) await context.grantPermissions(['notifications'], { origin: site.origin });
  const page = await context.newPage();
  await page.goto(`${site.origin}${opts.path ?? '/'}`);
  return { context, page };
}

/** The script-tag SDK from the gateway, a client with the API's URL, and a helper making real subscription keys. */
async function loadSdk(page: Page, appkey: string): Promise<void> {
  await page.addScriptTag({ url: `${stack.gateways[0].url}/sdk/herald.js` });
  await page.evaluate(
    ({ host, api, appkey }) => {
      const w = window as unknown as Record<string, unknown> & { Herald: { init(o: object): unknown } };
      w.herald = w.Herald.init({ host, api, appkey });
    },
    { host: stack.gateways[0].url, api: stack.apiUrl, appkey },
  );
}

/** A push endpoint on a public address (the guard is on) that no test ever reaches. */
const endpoint = () => `https://93.184.215.14/push/${randomBytes(12).toString('base64url')}`;

interface Outcome {
  ok: boolean;
  value?: { id: string; endpoint: string; channels: string[]; userId?: string | null };
  error?: { name: string; code: number; reason: string; content: string };
}

/**
 * `herald.push.register()` in the page with a subscription whose keys are real: a P-256 key pair and a
 * 16-byte auth secret made with WebCrypto, as a browser's push manager makes them. `keys` overrides one or both.
 */
function registerInPage(page: Page, args: { endpoint: string; channels: unknown; userId?: string; token?: string; keys?: { p256dh?: string; auth?: string } }): Promise<Outcome> {
  return page.evaluate(async (a) => {
    const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
    const p256dh = b64(new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)));
    const keys = { p256dh, auth: b64(crypto.getRandomValues(new Uint8Array(16))), ...a.keys };
    const herald = (window as unknown as { herald: { push: { register(s: object, o: object): Promise<Outcome['value']> } } }).herald;
    try {
      return { ok: true, value: await herald.push.register({ endpoint: a.endpoint, keys }, { channels: a.channels, userId: a.userId, token: a.token }) };
    } catch (e) {
      const x = e as { name: string; code: number; reason: string; content: string };
      return { ok: false, error: { name: x.name, code: x.code, reason: x.reason, content: x.content } };
    }
  }, args);
}

interface Listed {
  id: string;
  endpoint: string;
  channels: string[];
  userId?: string | null;
}
async function ownerList(t: Tenant, query = ''): Promise<Listed[]> {
  const body = await callOk<{ subscriptions: Listed[] }>(stack.apiUrl, 'GET', `/v1/apps/${t.appId}/push/subscriptions${query}`, { token: t.token });
  return body.subscriptions;
}

function assertHeraldError(o: Outcome, code: number, what: string): NonNullable<Outcome['error']> {
  assert.equal(o.ok, false, `${what}: expected a refusal, got ${JSON.stringify(o.value)}`);
  const e = o.error!;
  assert.equal(e.name, 'HeraldError', `${what}: ${JSON.stringify(e)}`);
  assert.equal(e.code, code, `${what}: ${JSON.stringify(e)}`);
  assert.ok(e.reason in REASONS && REASONS[e.reason as keyof typeof REASONS].code === code, `${what}: documented reason with code ${code}, got ${e.reason}`);
  return e;
}

test('/sdk/herald-sw.js: a push delivered through DevTools shows its notification (title, body, URL, data); a repeat replaces it; non-JSON and empty payloads show the generic one', async () => {
  const res = await fetch(`${stack.gateways[0].url}/sdk/herald-sw.js`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /javascript/);
  assert.match(await res.text(), /showNotification/);

  const { context, page } = await customerPage();
  const scope = await registerWorker(page, '/sw.js');
  const devtools = await PushDevTools.attach(context, page);
  const payload = { title: 'Order shipped', body: 'Your order 42 is on its way', icon: '/icon.png', url: '/orders/42', data: { order: 42 }, channel: 'orders', id: 'msg-1' };
  await devtools.deliver(scope, JSON.stringify(payload), WAIT_MS);
  await waitFor(async () => (await shownNotifications(page)).length === 1, { timeoutMs: WAIT_MS, what: `the notification (DevTools saw: ${devtools.events.join('; ')})` });
  const [shown] = await shownNotifications(page);
  assert.equal(shown.title, 'Order shipped');
  assert.equal(shown.body, 'Your order 42 is on its way');
  assert.equal(shown.tag, 'msg-1', 'tagged with the message id');
  assert.deepEqual(shown.data, { herald: true, url: '/orders/42', data: { order: 42 }, channel: 'orders', id: 'msg-1' });

  // The same message pushed again (a retried delivery) replaces its notification instead of adding one.
  await devtools.deliver(scope, JSON.stringify({ ...payload, body: 'again' }), WAIT_MS);
  await waitFor(async () => (await shownNotifications(page))[0]?.body === 'again', { timeoutMs: WAIT_MS, what: 'the replaced notification' });
  assert.equal((await shownNotifications(page)).length, 1);

  for (const data of ['this is not JSON', '', '[1,2]', '{"body":"no title"}']) {
    const before = (await shownNotifications(page)).length;
    await devtools.deliver(scope, data, WAIT_MS);
    await waitFor(async () => (await shownNotifications(page)).length === before + 1, { timeoutMs: WAIT_MS, what: `the generic notification for ${JSON.stringify(data)}` });
  }
  const generic = (await shownNotifications(page)).filter((n) => n.title === 'New notification');
  assert.equal(generic.length, 4, JSON.stringify(await shownNotifications(page)));
  for (const n of generic) assert.deepEqual(n.data, { herald: true });
  await context.close();
});

test("notificationclick's choice inside the real worker: the window showing the URL is focused, another URL is opened, unsafe URLs fall back to the scope", async () => {
  const { context, page } = await customerPage({ path: '/orders/42' });
  const scope = await registerWorker(page, '/sw.js');
  const worker = context.serviceWorkers().find((w) => w.url() === `${site.origin}/sw.js`) ?? (await context.waitForEvent('serviceworker', { timeout: WAIT_MS }));
  const choose = (url: string | undefined) =>
    worker.evaluate(async (url) => {
      const sw = self as unknown as {
        registration: { scope: string };
        clients: { matchAll(o: object): Promise<Array<{ url: string }>> };
        HeraldSW: { clickTarget(d: unknown, s: string): string; chooseClient(c: Array<{ url: string }>, t: string, s: string): { url: string } | undefined };
      };
      const scope = sw.registration.scope;
      const target = sw.HeraldSW.clickTarget(url === undefined ? { herald: true } : { herald: true, url }, scope);
      const open = sw.HeraldSW.chooseClient(await sw.clients.matchAll({ type: 'window', includeUncontrolled: true }), target, scope);
      return { target, focus: open?.url };
    }, url);
  assert.deepEqual(await choose('/orders/42'), { target: `${site.origin}/orders/42`, focus: `${site.origin}/orders/42` });
  assert.deepEqual(await choose(`${site.origin}/orders/42#tracking`), { target: `${site.origin}/orders/42#tracking`, focus: `${site.origin}/orders/42` });
  assert.deepEqual(await choose('/orders/43'), { target: `${site.origin}/orders/43`, focus: undefined }, 'not open: openWindow');
  assert.deepEqual(await choose(undefined), { target: scope, focus: `${site.origin}/orders/42` }, 'no URL: any window of the scope');
  for (const unsafe of ['javascript:alert(1)', 'data:text/html,hi', 'http://[bad']) {
    assert.equal((await choose(unsafe)).target, scope, unsafe);
  }
  await context.close();
});

test('herald.push.register() with real P-256 keys stores the subscription (owner list); again with other channels replaces them', async () => {
  const t = await createTenant(stack.apiUrl);
  const { context, page } = await customerPage();
  await loadSdk(page, t.commonKey);
  const ep = endpoint();
  const first = await registerInPage(page, { endpoint: ep, channels: ['news', 'orders'], userId: 'user-7' });
  assert.ok(first.ok, JSON.stringify(first.error));
  assert.equal(first.value!.endpoint, ep);
  assert.deepEqual([...first.value!.channels].sort(), ['news', 'orders']);
  assert.equal(first.value!.userId, 'user-7');
  let listed = await ownerList(t);
  assert.equal(listed.length, 1);
  assert.equal(listed[0].endpoint, ep);
  assert.equal(listed[0].userId, 'user-7');
  assert.deepEqual((await ownerList(t, '?channel=orders')).map((s) => s.endpoint), [ep]);

  const again = await registerInPage(page, { endpoint: ep, channels: ['alerts'], userId: 'user-7' });
  assert.ok(again.ok, JSON.stringify(again.error));
  assert.equal(again.value!.id, first.value!.id, 'the same endpoint is the same subscription');
  listed = await ownerList(t);
  assert.equal(listed.length, 1);
  assert.deepEqual(listed[0].channels, ['alerts']);
  await context.close();
});

test('herald.push.subscribe() in headless Chromium: the VAPID key is fetched and permission granted, then the unreachable push service fails it with push_service_error, nothing stored; denied permission is push_permission_denied', async () => {
  const t = await createTenant(stack.apiUrl);
  const { context, page } = await customerPage();
  const vapid: number[] = [];
  page.on('response', (r) => r.url().startsWith(`${stack.apiUrl}/v1/push/vapid-key?`) && vapid.push(r.status()));
  await loadSdk(page, t.commonKey);
  const subscribe = (p: Page) =>
    p.evaluate(async () => {
      const herald = (window as unknown as { herald: { push: { subscribe(o: object): Promise<unknown> } } }).herald;
      try {
        return { ok: true, value: await herald.push.subscribe({ channels: ['news'], userId: 'user-1', serviceWorker: '/sw.js' }) };
      } catch (e) {
        const x = e as { name: string; code: number; reason: string; content: string };
        return { ok: false, error: { name: x.name, code: x.code, reason: x.reason, content: x.content } };
      }
    }) as Promise<Outcome>;
  const failed = await subscribe(page);
  const e = assertHeraldError(failed, 503, 'subscribe without a push service');
  assert.equal(e.reason, 'push_service_error', e.content);
  assert.deepEqual(vapid, [200], 'the VAPID key was read with the app key');
  assert.equal(await page.evaluate(() => Notification.permission), 'granted');
  assert.ok(await page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())?.active), 'the script was registered and activated');
  assert.deepEqual(await ownerList(t), []);

  // Unsubscribing when the browser holds no subscription is a no-op, not an error.
  assert.equal(await page.evaluate(() => (window as unknown as { herald: { push: { unsubscribe(): Promise<void> } } }).herald.push.unsubscribe().then(() => 'done')), 'done');
  await context.close();

  const denied = await customerPage({ notifications: false });
  await loadSdk(denied.page, t.commonKey);
  const refused = await subscribe(denied.page);
  const deniedError = assertHeraldError(refused, 403, 'subscribe without permission');
  assert.equal(deniedError.reason, 'push_permission_denied', deniedError.content);
  await denied.context.close();
});

test("hostile input through the SDK: the API's refusals surface as HeraldErrors with their codes, nothing stored; another app's key cannot remove or see a subscription", async () => {
  const a = await createTenant(stack.apiUrl);
  const b = await createTenant(stack.apiUrl);
  const { context, page } = await customerPage();
  await loadSdk(page, a.commonKey);
  const good = await registerInPage(page, { endpoint: endpoint(), channels: ['news'] });
  assert.ok(good.ok, JSON.stringify(good.error));

  const refusals: Array<[string, Parameters<typeof registerInPage>[1], number, string]> = [
    ['plain http endpoint', { endpoint: 'http://93.184.215.14/push/x', channels: ['news'] }, 400, 'push_endpoint_private'],
    ['loopback endpoint', { endpoint: 'https://127.0.0.1/push/x', channels: ['news'] }, 400, 'push_endpoint_private'],
    ['private endpoint', { endpoint: 'https://10.1.2.3/push/x', channels: ['news'] }, 400, 'push_endpoint_private'],
    ['not a URL', { endpoint: 'not a url', channels: ['news'] }, 400, 'invalid_push_subscription'],
    ['p256dh too short', { endpoint: endpoint(), channels: ['news'], keys: { p256dh: 'BAAA' } }, 400, 'invalid_push_subscription'],
    ['p256dh not on the curve', { endpoint: endpoint(), channels: ['news'], keys: { p256dh: `B${'A'.repeat(86)}` } }, 400, 'invalid_push_subscription'],
    ['auth not 16 bytes', { endpoint: endpoint(), channels: ['news'], keys: { auth: 'AAAA' } }, 400, 'invalid_push_subscription'],
    ['keys not base64url', { endpoint: endpoint(), channels: ['news'], keys: { p256dh: '<script>', auth: '"; DROP' } }, 400, 'invalid_push_subscription'],
    ['private channel without a token', { endpoint: endpoint(), channels: ['private-orders'] }, 403, 'token_required'],
  ];
  for (const [what, args, code, reason] of refusals) assert.equal(assertHeraldError(await registerInPage(page, args), code, what).reason, reason, what);
  // Refused by the SDK before any request: the same reasons the API uses.
  assert.equal(assertHeraldError(await registerInPage(page, { endpoint: endpoint(), channels: ['bad channel!'] }), 400, 'bad channel').reason, 'invalid_channel');
  assert.equal(assertHeraldError(await registerInPage(page, { endpoint: endpoint(), channels: [] }), 400, 'no channel').reason, 'invalid_request');
  assert.equal((await ownerList(a)).length, 1, 'nothing stored by a refused call');

  await page.evaluate(() => {
    const w = window as unknown as Record<string, unknown> & { Herald: { init(o: object): unknown } };
    w.herald = w.Herald.init({ host: location.origin, api: (w.herald as { options: { api: string } }).options.api, appkey: 'BC-unknown-key' });
  });
  assert.equal(assertHeraldError(await registerInPage(page, { endpoint: endpoint(), channels: ['news'] }), 401, 'unknown key').reason, 'invalid_key');

  // App B's key cannot delete app A's subscription by its endpoint, and B's owner list does not show it.
  const stolen = await call(stack.apiUrl, 'DELETE', '/v1/push/subscriptions', { json: { appkey: b.commonKey, endpoint: good.value!.endpoint } });
  assert.equal(stolen.status, 404, JSON.stringify(stolen.body));
  assert.equal((await ownerList(a)).length, 1);
  assert.deepEqual(await ownerList(b), []);
  const foreign = await call(stack.apiUrl, 'GET', `/v1/apps/${a.appId}/push/subscriptions`, { token: b.token });
  assert.ok(foreign.status === 403 || foreign.status === 404, `B's session on A's list: ${foreign.status}`);
  await context.close();
});

test("pushsubscriptionchange: the worker registers the browser's new subscription with what subscribe() recorded and removes the old endpoint; without a record, or without a push service, it reports why and throws nothing", async () => {
  const t = await createTenant(stack.apiUrl);
  const { context, page } = await customerPage();
  const scope = await registerWorker(page, '/sw.js');
  const worker = context.serviceWorkers().find((w) => w.url() === `${site.origin}/sw.js`) ?? (await context.waitForEvent('serviceworker', { timeout: WAIT_MS }));
  type Result = { ok: boolean; reason?: string; endpoint?: string };
  // Chromium never fires the event: call the handler the listener calls, inside the real worker. The new
  // subscription is what the event would carry (Firefox fills newSubscription): real WebCrypto keys.
  const change = (newEndpoint: string | null) =>
    worker.evaluate(async (newEndpoint) => {
      const sw = self as unknown as { HeraldSW: { onSubscriptionChange(c: object): Promise<Result> } };
      if (newEndpoint === null) return sw.HeraldSW.onSubscriptionChange({ oldSubscription: null, newSubscription: null });
      const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
      const keys = { p256dh: b64(new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))), auth: b64(crypto.getRandomValues(new Uint8Array(16))) };
      return sw.HeraldSW.onSubscriptionChange({ oldSubscription: null, newSubscription: { endpoint: newEndpoint, toJSON: () => ({ endpoint: newEndpoint, keys }) } });
    }, newEndpoint) as Promise<Result>;

  assert.equal((await change(endpoint())).reason, 'not_registered', 'no subscribe() in this scope yet');

  // What herald.push.subscribe() records after registering (docs/push-sdk.md), for the subscription it made.
  await loadSdk(page, t.commonKey);
  const old = endpoint();
  const first = await registerInPage(page, { endpoint: old, channels: ['news', 'orders'], userId: 'user-9' });
  assert.ok(first.ok, JSON.stringify(first.error));
  const { publicKey } = await callOk<{ publicKey: string }>(stack.apiUrl, 'GET', `/v1/push/vapid-key?appkey=${t.commonKey}`);
  await page.evaluate(
    async (r) => void (await (await caches.open('herald-push')).put(new URL('herald-push-record.json', r.scope).href, new Response(JSON.stringify(r.record)))),
    { scope, record: { api: stack.apiUrl, appkey: t.commonKey, channels: ['news', 'orders'], userId: 'user-9', publicKey, endpoint: old } },
  );

  const fresh = endpoint();
  assert.deepEqual(await change(fresh), { ok: true, endpoint: fresh });
  const listed = await ownerList(t);
  assert.deepEqual(listed.map((s) => [s.endpoint, [...s.channels].sort(), s.userId]), [[fresh, ['news', 'orders'], 'user-9']], 'the new endpoint with the recorded channels and user; the old one removed');

  // No new subscription in the event: the worker subscribes itself, which headless Chromium cannot.
  const noService = await change(null);
  assert.equal(noService.ok, false);
  assert.equal(noService.reason, 'push_service_error');
  assert.deepEqual((await ownerList(t)).map((s) => s.endpoint), [fresh], 'nothing changed');
  await context.close();
});
