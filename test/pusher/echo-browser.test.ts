import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { ROOT, TcpProxy, callOk, createTenant, waitFor, type Stack, type Tenant } from '@herald/testing';
import { WAIT_MS, readBody, startBrowserApp, type BrowserApp, type Reply } from './browser-app.js';
import { serverLibrary } from './pusher-clients.js';

// Laravel Echo over pusher-js's browser build in headless Chromium (Debian's package, driven by
// playwright-core), against the real gateway and API. The test plays the Laravel app: it serves the page,
// the `/broadcasting/auth` endpoint (the `pusher` library's authorizeChannel) and a route that broadcasts
// `toOthers` (the X-Socket-ID header becomes the trigger's socket_id); presence members are the user the
// page says it is (an `X-User` header standing in for Laravel's session).
const OUTAGE_MS = 3000;

let fixture: BrowserApp;
let stack: Stack;
let browser: Browser;
let proxy: TcpProxy;
let appUrl: string;
/** The tenant the page's app (auth endpoint, toOthers route) acts for, set by each test. */
let tenant: Tenant;

before(async () => {
  fixture = await startBrowserApp({
    scripts: {
      '/pusher.min.js': join(ROOT, 'node_modules/pusher-js/dist/web/pusher.min.js'),
      '/echo.iife.js': join(ROOT, 'node_modules/laravel-echo/dist/echo.iife.js'),
    },
    routes: laravelApp,
  });
  ({ stack, browser, url: appUrl } = fixture);
  proxy = await TcpProxy.start(stack.gateways[0].port);
}, { timeout: 60_000 });
after(async () => {
  await proxy?.stop();
  await fixture?.stop();
}, { timeout: 30_000 });

/** What a Laravel app with the pusher broadcaster answers; `private-forbidden` is a channel the user may not join. */
async function laravelApp(req: IncomingMessage, url: URL): Promise<Reply | undefined> {
  if (req.method === 'POST' && url.pathname === '/broadcasting/auth') {
    const form = new URLSearchParams(await readBody(req));
    const channel = form.get('channel_name') ?? '';
    if (channel === 'private-forbidden') return [403, 'application/json', '{"message":"Forbidden"}'];
    const user = req.headers['x-user'];
    // A presence channel's auth carries the member (Laravel's channel callback returns the user's info).
    const member = channel.startsWith('presence-') && typeof user === 'string' ? { user_id: user, user_info: { name: user.toUpperCase() } } : undefined;
    return [200, 'application/json', JSON.stringify(serverLibrary(stack, tenant).authorizeChannel(form.get('socket_id') ?? '', channel, member))];
  }
  if (req.method === 'POST' && url.pathname === '/messages') {
    // broadcast(new MessageSent($text))->toOthers()
    const socketId = req.headers['x-socket-id'];
    await serverLibrary(stack, tenant).trigger('private-room', 'App\\Events\\MessageSent', JSON.parse(await readBody(req)), typeof socketId === 'string' ? { socket_id: socketId } : {});
    return [204, 'text/plain', ''];
  }
  return undefined;
}

interface PageState {
  got: Array<[string, unknown]>;
  errors: string[];
}
type Subscribable = { listen(e: string, f: (d: unknown) => void): Subscribable; error(f: (e: unknown) => void): Subscribable };
type Presence = Subscribable & {
  here(f: (users: unknown[]) => void): Presence;
  joining(f: (u: unknown) => void): Presence;
  leaving(f: (u: unknown) => void): Presence;
  whisper(e: string, d: unknown): Presence;
  listenForWhisper(e: string, f: (d: unknown) => void): Presence;
};
type EchoInstance = {
  channel(n: string): Subscribable;
  private(n: string): Subscribable;
  join(n: string): Presence;
  leave(n: string): void;
  socketId(): string;
  connector: { pusher: { channel(n: string): { subscribed: boolean } | undefined; connection: { state: string } } };
};
declare const window: {
  state: PageState;
  echo: EchoInstance;
  Echo: { default: new (o: object) => EchoInstance };
  HeraldPusher: { withHeraldReplay(p: unknown): unknown };
};

/** A page of the app with Laravel Echo configured for Herald (the snippet of docs/pusher.md); optionally the replay plugin. */
async function echoPage(t: Tenant, opts: { port: number; replay: boolean; user?: string }): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(appUrl);
  await page.addScriptTag({ url: '/pusher.min.js' });
  await page.addScriptTag({ url: '/echo.iife.js' });
  if (opts.replay) await page.addScriptTag({ url: `${stack.gateways[0].url}/sdk/herald-pusher.js` });
  await page.evaluate(
    ({ key, port, replay, user }) => {
      window.state = { got: [], errors: [] };
      window.echo = new window.Echo.default({
        broadcaster: 'pusher',
        key,
        cluster: 'herald',
        wsHost: '127.0.0.1',
        wsPort: port,
        forceTLS: false,
        enabledTransports: ['ws'],
        disableStats: true,
        authEndpoint: '/broadcasting/auth',
        auth: { headers: user ? { 'X-User': user } : {} },
      });
      if (replay) window.HeraldPusher.withHeraldReplay(window.echo.connector.pusher);
    },
    { key: t.commonKey, port: opts.port, replay: opts.replay, user: opts.user },
  );
  return page;
}

const state = (page: Page) => page.evaluate(() => window.state);
const subscribed = (page: Page, channels: string[]) =>
  waitFor(() => page.evaluate((names) => names.every((n) => window.echo.connector.pusher.channel(n)?.subscribed === true), channels), { timeoutMs: WAIT_MS, what: `${channels.join(', ')} subscribed` });

test("Laravel Echo in Chromium: listen('.evt') and the namespaced form, private() through the app's auth endpoint, toOthers by X-Socket-ID", async () => {
  tenant = await createTenant(stack.apiUrl);
  const [sender, other] = await Promise.all([0, 1].map(() => echoPage(tenant, { port: stack.gateways[0].port, replay: false })));
  for (const page of [sender, other]) {
    await page.evaluate(() => {
      const push = (name: string) => (d: unknown) => window.state.got.push([name, d]);
      window.echo.channel('orders').listen('.shipped', push('orders .shipped')).listen('OrderShipped', push('orders OrderShipped'));
      window.echo.private('room').listen('MessageSent', push('room MessageSent'));
      window.echo.private('forbidden').error((e: unknown) => window.state.errors.push(JSON.stringify(e)));
    });
  }
  await Promise.all([sender, other].map((p) => subscribed(p, ['orders', 'private-room'])));
  const server = serverLibrary(stack, tenant);
  await server.trigger('orders', 'shipped', { id: 1 });
  await server.trigger('orders', 'App\\Events\\OrderShipped', { id: 2 });
  // The sender posts with Echo's socket id, as Laravel's axios interceptor does: it does not get its own message.
  const socketId = await sender.evaluate(async () => {
    const id = window.echo.socketId();
    await fetch('/messages', { method: 'POST', headers: { 'content-type': 'application/json', 'X-Socket-ID': id }, body: JSON.stringify({ text: 'hi' }) });
    return id;
  });
  assert.match(socketId, /^\d+\.\d+$/);
  await server.trigger('private-room', 'App\\Events\\MessageSent', { text: 'marker' });
  const expected = (own: boolean) => [
    ['orders .shipped', { id: 1 }],
    ['orders OrderShipped', { id: 2 }],
    ...(own ? [] : [['room MessageSent', { text: 'hi' }]]),
    ['room MessageSent', { text: 'marker' }],
  ];
  for (const [page, own] of [[sender, true], [other, false]] as const) {
    await waitFor(async () => (await state(page)).got.length === expected(own).length, { timeoutMs: WAIT_MS, what: 'the events in the page' });
    const s = await state(page);
    assert.deepEqual(s.got, expected(own));
    assert.equal(s.errors.length, 1, 'private-forbidden: the auth endpoint refused, Echo reports it');
    assert.match(s.errors[0], /403/);
  }
  await Promise.all([sender.close(), other.close()]);
});

test('herald-pusher (/sdk/herald-pusher.js) with Laravel Echo in Chromium: a 3 s cut loses nothing and duplicates nothing', async () => {
  tenant = await createTenant(stack.apiUrl);
  const page = await echoPage(tenant, { port: proxy.port, replay: true });
  await page.evaluate(() => void window.echo.channel('orders').listen('.tick', (d: unknown) => window.state.got.push(['tick', d])));
  await subscribed(page, ['orders']);
  const server = serverLibrary(stack, tenant);
  const trigger = async (from: number, to: number) => {
    for (let n = from; n <= to; n++) await server.trigger('orders', 'tick', { n });
  };
  await trigger(0, 0);
  await waitFor(async () => (await state(page)).got.length === 1, { timeoutMs: WAIT_MS, what: 'the live event before the cut' });
  proxy.retarget(null);
  proxy.cut();
  await waitFor(() => page.evaluate(() => window.echo.connector.pusher.connection.state !== 'connected'), { timeoutMs: WAIT_MS, what: 'the page noticed the cut' });
  const started = Date.now();
  await trigger(1, 30);
  await delay(Math.max(0, OUTAGE_MS - (Date.now() - started))); // the outage's length, not a wait for an event
  proxy.retarget(stack.gateways[0].port);
  await subscribed(page, ['orders']);
  await trigger(31, 31);
  await waitFor(async () => (await state(page)).got.length >= 32, { timeoutMs: WAIT_MS, what: 'every event after the cut' });
  assert.deepEqual((await state(page)).got, Array.from({ length: 32 }, (_, n) => ['tick', { n }]));
  await page.close();
});

test('Laravel Echo in Chromium: join().here/joining/leaving on a presence channel, whisper/listenForWhisper (client events, not echoed)', async () => {
  tenant = await createTenant(stack.apiUrl);
  await callOk(stack.apiUrl, 'PATCH', `/v1/apps/${tenant.appId}`, { token: tenant.token, json: { clientEvents: true } });
  const join = (page: Page) =>
    page.evaluate(() => {
      const push = (name: string) => (d: unknown) => window.state.got.push([name, d]);
      window.echo
        .join('room')
        .here((users: unknown[]) => window.state.got.push(['here', users]))
        .joining(push('joining'))
        .leaving(push('leaving'))
        .listenForWhisper('typing', push('typing'));
    });
  const alice = await echoPage(tenant, { port: stack.gateways[0].port, replay: false, user: 'alice' });
  await join(alice);
  await subscribed(alice, ['presence-room']);
  const bob = await echoPage(tenant, { port: stack.gateways[0].port, replay: false, user: 'bob' });
  await join(bob);
  await subscribed(bob, ['presence-room']);
  await waitFor(async () => (await state(alice)).got.some(([n]) => n === 'joining'), { timeoutMs: WAIT_MS, what: 'alice sees bob joining' });
  await bob.evaluate(() => void window.echo.join('room').whisper('typing', { who: 'bob' }));
  await waitFor(async () => (await state(alice)).got.some(([n]) => n === 'typing'), { timeoutMs: WAIT_MS, what: "bob's whisper at alice's" });
  await bob.evaluate(() => window.echo.leave('room'));
  await waitFor(async () => (await state(alice)).got.some(([n]) => n === 'leaving'), { timeoutMs: WAIT_MS, what: 'alice sees bob leaving' });
  const a = await state(alice);
  const b = await state(bob);
  const names = (users: unknown) => (users as Array<{ name: string }>).map((u) => u.name).sort();
  assert.deepEqual(names(a.got.find(([n]) => n === 'here')?.[1]), ['ALICE']);
  assert.deepEqual(names(b.got.find(([n]) => n === 'here')?.[1]), ['ALICE', 'BOB']);
  assert.deepEqual(a.got.filter(([n]) => n !== 'here'), [['joining', { name: 'BOB' }], ['typing', { who: 'bob' }], ['leaving', { name: 'BOB' }]]);
  assert.equal(b.got.filter(([n]) => n === 'typing').length, 0, 'a whisper is not echoed to its sender');
  await Promise.all([alice.close(), bob.close()]);
});
