import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { callOk, createTenant, operatorToken, waitFor, type Stack, type Tenant } from '@herald/testing';
import { WAIT_MS, startBrowserApp, type BrowserApp } from './browser-app.js';
import { RawPusher } from './pusher-clients.js';
import {
  CustomerBackend,
  FORBIDDEN,
  MISSIGNED,
  PUSHER_SCRIPTS,
  closePage,
  connected,
  connectionState,
  pageState,
  pusherPage,
  received,
  recorded,
  settled,
  subscribed,
  type PusherPageGlobals,
} from './pusherjs-page.js';

// pusher-js's own browser builds (dist/web/pusher.min.js, pusher-with-encryption.min.js) in headless
// Chromium against the real gateway and API; the test plays the customer's backend (auth endpoints by
// the `pusher` library) and triggers through the library. Each test its own app, each user a browser
// context of its own. What is asserted is what the page's callbacks received.
declare const window: PusherPageGlobals;

let app: BrowserApp;
let stack: Stack;
const backend = new CustomerBackend();
before(async () => {
  app = await startBrowserApp({ scripts: PUSHER_SCRIPTS, routes: backend.routes });
  stack = app.stack;
}, { timeout: 60_000 });
after(() => app?.stop(), { timeout: 30_000 });

/** A new app and the customer's server for it. */
async function newApp(opts: { clientEvents?: boolean; encryption?: boolean } = {}) {
  const t = await createTenant(stack.apiUrl);
  if (opts.clientEvents) await callOk(stack.apiUrl, 'PATCH', `/v1/apps/${t.appId}`, { token: t.token, json: { clientEvents: true } });
  const server = backend.serve(stack, t, opts.encryption ? { encryptionMasterKeyBase64: randomBytes(32).toString('base64') } : {});
  return { t, server };
}

const page = (t: Tenant, opts: { user?: string; encryption?: boolean } = {}) => pusherPage(app, t.commonKey, { appId: t.appId, ...opts });

test("a public channel: the server library's triggers reach bind and bind_global in order; unsubscribe stops them", async () => {
  const { t, server } = await newApp();
  const p = await page(t);
  await p.evaluate(() => {
    const news = window.pusher.subscribe('news');
    news.bind('headline', window.record('bind headline'));
    news.bind_global(window.recordAll('global'));
  });
  await subscribed(p, ['news']);
  await server.trigger('news', 'headline', { n: 1 });
  await server.trigger('news', 'weather', 'rain');
  await server.trigger(['news', 'sport'], 'headline', { n: 2 });
  assert.deepEqual(await received(p, '', 6), [
    ['global pusher:subscription_succeeded', {}],
    ['global headline', { n: 1 }],
    ['bind headline', { n: 1 }],
    ['global weather', 'rain'],
    ['global headline', { n: 2 }],
    ['bind headline', { n: 2 }],
  ]);

  await p.evaluate(() => {
    window.pusher.unsubscribe('news');
    window.pusher.subscribe('marker').bind('done', window.record('marker'));
  });
  await subscribed(p, ['marker']); // the unsubscribe, sent before, was handled
  await server.trigger('news', 'headline', { n: 3 });
  await server.trigger('marker', 'done', {});
  await received(p, 'marker', 1);
  const { got, frames } = await pageState(p);
  assert.equal(got.length, 7);
  assert.deepEqual(frames.filter((f) => f.startsWith('news ')), ['news pusher_internal:subscription_succeeded', 'news headline', 'news weather', 'news headline'], 'the gateway sent nothing of news after the unsubscribe');
  await closePage(p);
});

test("a private channel through the customer's auth endpoint; a refused auth (403) and a bad signature (401) give subscription_error with the status", async () => {
  const { t, server } = await newApp();
  const p = await page(t);
  await p.evaluate(
    ([forbidden, missigned]) => {
      window.pusher.subscribe('private-room').bind('msg', window.record('room'));
      for (const name of [forbidden, missigned]) window.pusher.subscribe(name).bind('pusher:subscription_error', window.record(name));
    },
    [FORBIDDEN, MISSIGNED],
  );
  await subscribed(p, ['private-room']);
  const errors = await received(p, 'private-', 2);
  const byChannel = Object.fromEntries(errors.map(([channel, e]) => [channel, e as { type: string; status: number }]));
  assert.deepEqual([byChannel[FORBIDDEN].type, byChannel[FORBIDDEN].status], ['AuthError', 403], 'refused by the endpoint');
  assert.deepEqual([byChannel[MISSIGNED].type, byChannel[MISSIGNED].status], ['AuthError', 401], 'refused by the gateway');
  await server.trigger([FORBIDDEN, MISSIGNED], 'msg', { leaked: true });
  await server.trigger('private-room', 'msg', { text: 'for members' });
  assert.deepEqual(await received(p, 'room', 1), [['room', { text: 'for members' }]]);
  const { frames } = await pageState(p);
  assert.deepEqual(frames.filter((f) => !f.startsWith('private-room ')), [`${MISSIGNED} pusher:subscription_error`], 'nothing of the refused channels but the refusal');
  await closePage(p);
});

/** pusher-js's members as the page sees them: count, me and every member, sorted. */
const members = (p: Page) =>
  p.evaluate(() => {
    const m = window.pusher.channel('presence-room')!.members;
    const all: Array<{ id: string; info: unknown }> = [];
    m.each((x) => all.push(x));
    return { count: m.count, me: m.me, all: all.sort((a, b) => a.id.localeCompare(b.id)) };
  });

test('presence in two browser contexts: members and me, member_added for the newcomer, member_removed when its tab closes', async () => {
  const { t } = await newApp();
  const join = (p: Page) =>
    p.evaluate(() => {
      const room = window.pusher.subscribe('presence-room');
      room.bind('pusher:subscription_succeeded', (m: { count: number }) => window.state.got.push(['succeeded', m.count]));
      room.bind('pusher:member_added', window.record('added'));
      room.bind('pusher:member_removed', window.record('removed'));
    });
  const alice = await page(t, { user: 'alice' });
  await join(alice);
  await subscribed(alice, ['presence-room']);
  assert.deepEqual(await members(alice), { count: 1, me: { id: 'alice', info: { name: 'ALICE' } }, all: [{ id: 'alice', info: { name: 'ALICE' } }] });
  const bob = await page(t, { user: 'bob' });
  await join(bob);
  await subscribed(bob, ['presence-room']);
  assert.deepEqual(await members(bob), {
    count: 2,
    me: { id: 'bob', info: { name: 'BOB' } },
    all: [
      { id: 'alice', info: { name: 'ALICE' } },
      { id: 'bob', info: { name: 'BOB' } },
    ],
  });
  assert.deepEqual(await received(alice, 'added', 1), [['added', { id: 'bob', info: { name: 'BOB' } }]]);
  assert.equal((await members(alice)).count, 2);

  await closePage(bob);
  assert.deepEqual(await received(alice, 'removed', 1), [['removed', { id: 'bob', info: { name: 'BOB' } }]]);
  assert.deepEqual(await members(alice), { count: 1, me: { id: 'alice', info: { name: 'ALICE' } }, all: [{ id: 'alice', info: { name: 'ALICE' } }] });
  assert.deepEqual((await pageState(alice)).got, [['succeeded', 1], ['added', { id: 'bob', info: { name: 'BOB' } }], ['removed', { id: 'bob', info: { name: 'BOB' } }]]);
  await closePage(alice);
});

test('a cache channel: the event triggered before subscribing comes on subscribe, then live ones; an empty one gives pusher:cache_miss', async () => {
  const { t, server } = await newApp();
  await server.trigger('cache-quote', 'price', { v: 1 });
  await server.trigger('cache-quote', 'price', { v: 2 });
  const p = await page(t);
  await p.evaluate(() => {
    window.pusher.subscribe('cache-quote').bind_global(window.recordAll('quote'));
    window.pusher.subscribe('cache-empty').bind_global(window.recordAll('empty'));
  });
  await received(p, 'quote', 2);
  await server.trigger('cache-quote', 'price', { v: 3 });
  assert.deepEqual(await received(p, 'quote', 3), [
    ['quote pusher:subscription_succeeded', {}],
    ['quote price', { v: 2 }],
    ['quote price', { v: 3 }],
  ]);
  assert.deepEqual(await received(p, 'empty', 2), [
    ['empty pusher:subscription_succeeded', {}],
    ['empty pusher:cache_miss', {}],
  ]);
  await closePage(p);
});

test('a private-encrypted channel with pusher-with-encryption: the page decrypts the server library\'s trigger; Herald keeps only ciphertext', async () => {
  const { t, server } = await newApp({ encryption: true });
  const channel = 'private-encrypted-vault';
  const p = await page(t, { encryption: true });
  await p.evaluate((name) => void window.pusher.subscribe(name).bind('secret', window.record('vault')), channel);
  await subscribed(p, [channel]);
  await server.trigger(channel, 'secret', { code: 'plaintext-1234' });
  assert.deepEqual(await received(p, 'vault', 1), [['vault', { code: 'plaintext-1234' }]]);
  // What the gateway relayed and the channel log keeps: the library's sealed {nonce, ciphertext}.
  const history = await callOk<{ messages: Array<{ content: unknown }> }>(stack.apiUrl, 'GET', `/v1/channels/${channel}/history`, { token: t.secret });
  assert.equal(history.messages.length, 1);
  const sealed = history.messages[0].content;
  assert.equal(typeof sealed, 'string');
  assert.deepEqual(Object.keys(JSON.parse(sealed as string) as object).sort(), ['ciphertext', 'nonce']);
  assert.ok(!(sealed as string).includes('plaintext'), 'no plaintext reached Herald');
  await closePage(p);
});

test('client events between two pages on a private channel, not echoed; refused on a public channel; over the rate 4301 reaches connection error', async () => {
  const { t, server } = await newApp({ clientEvents: true });
  const [alice, bob] = [await page(t, { user: 'alice' }), await page(t, { user: 'bob' })];
  for (const p of [alice, bob]) {
    await p.evaluate(() => {
      window.pusher.subscribe('private-chat').bind('client-typing', window.record('typing')).bind('client-tick', window.record('tick')).bind('done', window.record('done'));
      window.pusher.subscribe('lobby').bind('client-hi', window.record('lobby hi')).bind('done', window.record('done'));
    });
    await subscribed(p, ['private-chat', 'lobby']);
  }
  assert.equal(await alice.evaluate(() => window.pusher.channel('private-chat')!.trigger('client-typing', { on: true })), true);
  assert.deepEqual(await received(bob, 'typing', 1), [['typing', { on: true }]]);
  // A trigger after it on the same channel is a barrier: an echo to alice would come before it.
  await server.trigger('private-chat', 'done', 1);
  await received(alice, 'done', 1);
  assert.deepEqual(await recorded(alice, 'typing'), [], 'not echoed to the sender');

  await alice.evaluate(() => void window.pusher.channel('lobby')!.trigger('client-hi', {}));
  await waitFor(async () => (await pageState(alice)).errors.length === 1, { timeoutMs: WAIT_MS, what: 'the refusal' });
  const [refused] = (await pageState(alice)).errors;
  assert.equal(refused.type, 'PusherError');
  assert.equal(refused.code, null, "Pusher's code for a refused client event");
  assert.match(refused.message ?? '', /only supported on private and presence/);
  await server.trigger('lobby', 'done', 2);
  await received(bob, 'done', 2);
  assert.deepEqual(await recorded(bob, 'lobby hi'), []);

  await alice.evaluate(() => {
    for (let i = 0; i < 30; i++) window.pusher.channel('private-chat')!.trigger('client-tick', { i });
  });
  await settled(alice);
  const limited = (await pageState(alice)).errors.slice(1);
  assert.ok(limited.length >= 15, `most of 30 at once are refused (refused ${limited.length})`);
  assert.deepEqual(new Set(limited.map((e) => `${e.type} ${e.code}`)), new Set(['PusherError 4301']));
  await server.trigger('private-chat', 'done', 3);
  await received(bob, 'done', 3);
  const ticks = (await recorded(bob, 'tick')).map(([, d]) => (d as { i: number }).i);
  assert.equal(ticks.length, 30 - limited.length, 'the rest delivered');
  assert.deepEqual(ticks, [...ticks].sort((a, b) => a - b), 'in order');
  assert.equal(await connectionState(alice), 'connected', 'the socket stays open');
  await Promise.all([closePage(alice), closePage(bob)]);
});

/** A page signed in as `user` (pusher.signin() through the backend's authenticateUser), recording what is sent to the user. */
async function signedIn(t: Tenant, user: string): Promise<Page> {
  const p = await page(t, { user });
  await connected(p);
  await p.evaluate(() => {
    window.pusher.user.bind_global(window.recordAll('user'));
    window.pusher.signin();
  });
  await waitFor(() => p.evaluate(() => window.pusher.user.serverToUserChannel?.subscribed === true), { timeoutMs: WAIT_MS, what: `${user} signed in` });
  assert.deepEqual(await p.evaluate(() => window.pusher.user.user_data), { id: user, name: user.toUpperCase() });
  return p;
}

test("signin() and sendToUser reach the user's pages only (not another app's user of the same id); terminateUserConnections disconnects them with 4009 and pusher-js stays down", async () => {
  const { t, server } = await newApp();
  const other = await newApp();
  const [alice1, alice2, bob, theirAlice] = [await signedIn(t, 'alice'), await signedIn(t, 'alice'), await signedIn(t, 'bob'), await signedIn(other.t, 'alice')];
  await server.sendToUser('alice', 'hello', { n: 1 });
  await server.sendToUser('bob', 'hi', 'text');
  await other.server.sendToUser('alice', 'theirs', {});
  for (const p of [alice1, alice2]) assert.deepEqual(await received(p, 'user', 1), [['user hello', { n: 1 }]]);
  assert.deepEqual(await received(bob, 'user', 1), [['user hi', 'text']]);
  assert.deepEqual(await received(theirAlice, 'user', 1), [['user theirs', {}]]);

  await server.terminateUserConnections('alice');
  for (const p of [alice1, alice2]) {
    await waitFor(async () => (await connectionState(p)) === 'disconnected', { timeoutMs: WAIT_MS, what: 'alice disconnected' });
    const { errors } = await pageState(p);
    assert.ok(errors.length > 0 && errors.every((e) => e.code === 4009), JSON.stringify(errors));
  }
  await server.sendToUser('bob', 'still-here', {});
  await server.sendToUser('alice', 'gone', {});
  await other.server.sendToUser('alice', 'still-theirs', {});
  assert.deepEqual(await received(bob, 'user', 2), [['user hi', 'text'], ['user still-here', {}]]);
  assert.deepEqual(await received(theirAlice, 'user', 2), [['user theirs', {}], ['user still-theirs', {}]], "another app's alice is not terminated");
  for (const p of [alice1, alice2]) {
    const s = await pageState(p);
    assert.deepEqual(s.got, [['user hello', { n: 1 }]]);
    assert.equal(s.states.at(-1), 'disconnected', 'pusher-js does not reconnect after 4009');
    assert.equal(s.states.filter((x) => x === 'connecting').length, 0);
  }
  assert.equal(await connectionState(bob), 'connected');
  await Promise.all([alice1, alice2, bob, theirAlice].map(closePage));
});

/** A page connecting with `key`, once pusher-js is connected or has given up: its error codes and state changes. */
async function attempt(key: string): Promise<{ page: Page; codes: Array<number | null>; states: string[] }> {
  const p = await pusherPage(app, key);
  await waitFor(async () => ['connected', 'disconnected'].includes(await connectionState(p)), { timeoutMs: WAIT_MS, what: 'pusher-js connected or gave up' });
  const { errors, states } = await pageState(p);
  return { page: p, codes: errors.map((e) => e.code), states };
}

test("refused at connect in the browser: unknown key 4001, an Origin the app does not allow 4009, over the plan's connections 4004 — pusher-js stops", async () => {
  const unknown = await attempt('BC-nosuchkeynosuchkeynosuchkey');
  const restricted = await createTenant(stack.apiUrl, { planId: 'pro', allowedOrigins: ['https://app.example'] });
  const origin = await attempt(restricted.commonKey); // the page's origin is http://127.0.0.1:<port>
  const free = await createTenant(stack.apiUrl, { planId: 'free' }); // 100 connections
  const held = Array.from({ length: 100 }, () => RawPusher.open(stack.gateways[0].url, free.commonKey));
  await Promise.all(held.map((c) => c.next('pusher:connection_established', undefined, WAIT_MS)));
  const over = await attempt(free.commonKey);
  for (const [r, code] of [[unknown, 4001], [origin, 4009], [over, 4004]] as const) {
    assert.ok(r.codes.length > 0 && r.codes.every((c) => c === code), `${code}: ${JSON.stringify(r.codes)}`);
    assert.deepEqual(r.states, ['disconnected'], `${code}: never connected`);
  }
  for (const c of held) c.close();
  // pusher-js does not retry: by now (the other attempts took their time) no page has tried again.
  for (const r of [unknown, origin, over]) assert.deepEqual((await pageState(r.page)).states, ['disconnected']);
  await Promise.all([unknown, origin, over].map((r) => closePage(r.page)));
});

test('a suspended app in the browser: the live page is closed with 4003, a new one refused with 4003', async () => {
  const { t } = await newApp();
  const live = await page(t);
  await connected(live);
  await callOk(stack.apiUrl, 'POST', `/v1/admin/apps/${t.appId}/suspend`, { token: await operatorToken(stack.apiUrl), json: { reason: 'test' } });
  await waitFor(async () => (await connectionState(live)) === 'disconnected', { timeoutMs: WAIT_MS, what: 'the live page closed' });
  const { errors, states } = await pageState(live);
  assert.ok(errors.length > 0 && errors.every((e) => e.code === 4003), JSON.stringify(errors));
  assert.deepEqual(states, ['connected', 'disconnected']);
  // The connect check's key cache (HERALD_KEY_CACHE_MS) may admit the key a moment after the live re-check closed the page.
  let fresh: Awaited<ReturnType<typeof attempt>> | undefined;
  await waitFor(async () => {
    if (fresh) await closePage(fresh.page);
    fresh = await attempt(t.commonKey);
    return fresh.states.at(-1) === 'disconnected';
  }, { timeoutMs: WAIT_MS, what: 'a new page refused' });
  assert.ok(fresh!.codes.length > 0 && fresh!.codes.every((c) => c === 4003), JSON.stringify(fresh!.codes));
  await Promise.all([closePage(live), closePage(fresh!.page)]);
});
