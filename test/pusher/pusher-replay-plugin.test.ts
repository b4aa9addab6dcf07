import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { TcpProxy, createTenant, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';
import { connected, disconnectAll, pusherJs, serverLibrary, type PusherClient } from './pusher-clients.js';
import { heraldPusher } from './herald-pusher.js';
import type { HeraldReset } from '../../libs/pusher-plugin/dist/types/index.js';

// pusher-js (Node, unmodified) with and without the herald-pusher plugin, through a TCP proxy the test
// cuts for 3 s while events are triggered: the plugin resumes every channel with no gap and no duplicate.
let stack: Stack;
let proxy: TcpProxy;
before(async () => {
  stack = await startStack({ gateways: 1, workers: 0 });
  proxy = await TcpProxy.start(stack.gateways[0].port);
});
after(async () => {
  disconnectAll();
  await proxy?.stop();
  await stack.stop();
});

const OUTAGE_MS = 3000;

/** Every `n` the channel's `tick` events carried, in arrival order. */
function ticks(p: PusherClient, channel: string): number[] {
  const got: number[] = [];
  p.subscribe(channel).bind('tick', (d: { n: number }) => got.push(d.n));
  return got;
}

/** The network drops for OUTAGE_MS (open connections cut, new ones refused); `during` runs meanwhile. */
async function outage(p: PusherClient, during: () => Promise<void>): Promise<void> {
  proxy.retarget(null);
  proxy.cut();
  await waitFor(() => p.connection.state !== 'connected', { what: 'pusher-js noticed the cut' });
  const started = Date.now();
  await during();
  await delay(Math.max(0, OUTAGE_MS - (Date.now() - started))); // the outage's length, not a wait for an event
  proxy.retarget(stack.gateways[0].port);
}

async function resubscribed(p: PusherClient, channel: string): Promise<void> {
  await connected(p, 20_000);
  await waitFor(() => p.channel(channel)?.subscribed === true, { timeoutMs: 20_000, what: `${channel} resubscribed` });
}

async function triggerRange(t: Tenant, channel: string, from: number, to: number): Promise<void> {
  const server = serverLibrary(stack, t);
  for (let n = from; n <= to; n++) await server.trigger(channel, 'tick', { n });
}

test('with herald-pusher: 50 events triggered during a 3 s outage all arrive once each, in order', async () => {
  const t = await createTenant(stack.apiUrl);
  const p = pusherJs(stack, t, { port: proxy.port });
  const replay = heraldPusher.withHeraldReplay(p);
  const got = ticks(p, 'orders');
  await resubscribed(p, 'orders');
  await triggerRange(t, 'orders', 0, 0);
  await waitFor(() => got.length === 1, { what: 'the live event before the outage' });
  await outage(p, () => triggerRange(t, 'orders', 1, 50));
  await resubscribed(p, 'orders');
  await triggerRange(t, 'orders', 51, 51);
  await waitFor(() => got.includes(51), { timeoutMs: 20_000, what: 'the live event after the outage' });
  assert.deepEqual(got, Array.from({ length: 52 }, (_, n) => n), 'all once, in order');
  assert.equal(replay.position('orders')?.offset, 52);
  p.disconnect();
});

test("without the plugin: Pusher's behaviour, the events of the outage are lost and nothing is duplicated", async () => {
  const t = await createTenant(stack.apiUrl);
  const p = pusherJs(stack, t, { port: proxy.port });
  const got = ticks(p, 'orders');
  await resubscribed(p, 'orders');
  await triggerRange(t, 'orders', 0, 0);
  await waitFor(() => got.length === 1, { what: 'the live event before the outage' });
  await outage(p, () => triggerRange(t, 'orders', 1, 50));
  await resubscribed(p, 'orders');
  await triggerRange(t, 'orders', 51, 51);
  await waitFor(() => got.includes(51), { timeoutMs: 20_000, what: 'the live event after the outage' });
  assert.ok(got.length < 50, `missed events are not replayed (${got.length} received)`);
  assert.equal(new Set(got).size, got.length, 'no duplicates');
  assert.deepEqual(got, [0, 51]);
  p.disconnect();
});

test('with herald-pusher: more missed than the window holds → onReset and herald:reset, then live events', async () => {
  const t = await createTenant(stack.apiUrl, { historySize: 10 });
  const p = pusherJs(stack, t, { port: proxy.port });
  const resets: Array<[string, HeraldReset]> = [];
  const replay = heraldPusher.withHeraldReplay(p, { onReset: (channel, reset) => resets.push([channel, reset]) });
  const got = ticks(p, 'feed');
  const bound: unknown[] = [];
  p.channel('feed').bind('herald:reset', (d: unknown) => bound.push(d));
  await resubscribed(p, 'feed');
  await triggerRange(t, 'feed', 0, 0);
  await waitFor(() => got.length === 1, { what: 'the live event before the outage' });
  await outage(p, () => triggerRange(t, 'feed', 1, 20));
  await resubscribed(p, 'feed');
  await triggerRange(t, 'feed', 21, 21);
  await waitFor(() => got.includes(21), { timeoutMs: 20_000, what: 'the live event after the reset' });
  assert.deepEqual(got, [0, 21], 'nothing replayed past the window');
  assert.equal(resets.length, 1);
  const [channel, reset] = resets[0];
  assert.equal(channel, 'feed');
  assert.deepEqual({ recovered: reset.recovered, reason: reset.reason, offset: reset.offset }, { recovered: false, reason: 'window_passed', offset: 21 });
  assert.deepEqual(bound, [{ recovered: false, reason: 'window_passed', epoch: reset.epoch, offset: 21 }]);
  assert.deepEqual(replay.position('feed'), { offset: 22, epoch: reset.epoch });
  p.disconnect();
});
