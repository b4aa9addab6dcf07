import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WsClient, createTenant, startStack, type Frame, type Stack } from '@herald/testing';

// Issue 13 item 4: presence watches were not counted against the plan's channels per connection.
let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 1 });
});
after(async () => {
  await stack.stop();
});

const FREE_CHANNELS_PER_CONNECTION = 100;

/** Sends every frame at once and waits for all the answers. */
async function requestAll(c: WsClient, frames: Array<Record<string, unknown>>): Promise<Frame[]> {
  return Promise.all(frames.map((f) => c.request(f, 20_000)));
}

test('presence watches count against the plan’s channels per connection, together with subscriptions', async () => {
  const t = await createTenant(stack.apiUrl, { planId: 'free' });
  const c = await WsClient.connect(stack.wsUrl(), t.subscribeKey);
  const watches = Array.from({ length: FREE_CHANNELS_PER_CONNECTION + 20 }, (_, i) => ({ type: 'presence_subscribe', channel: `w${i}` }));
  const answers = await requestAll(c, watches);
  const refused = answers.filter((f) => f.type === 'error');
  assert.equal(answers.filter((f) => f.type === 'reply').length, FREE_CHANNELS_PER_CONNECTION);
  assert.equal(refused.length, 20);
  assert.ok(refused.every((f) => f.reason === 'too_many_channels' && f.code === 429), JSON.stringify(refused[0]));

  // A channel already watched is not a new one: subscribing to it is fine; any other is refused.
  assert.equal((await c.subscribe('w0')).type, 'subscribed');
  const other = await c.subscribe('elsewhere');
  assert.deepEqual([other.type, other.reason], ['error', 'too_many_channels']);

  // Dropping a watch frees its place (w0 stays held by the subscription, so drop two).
  await c.request({ type: 'presence_unsubscribe', channel: 'w1' });
  assert.equal((await c.subscribe('elsewhere')).type, 'subscribed');
  const again = await c.request({ type: 'presence_subscribe', channel: 'w2-more' });
  assert.deepEqual([again.type, again.reason], ['error', 'too_many_channels']);
  assert.equal(c.closeCode, undefined, 'refusals are error frames: the connection stays');
  c.close();
});

test('subscriptions first, then watches: the same cap', async () => {
  const t = await createTenant(stack.apiUrl, { planId: 'free' });
  const c = await WsClient.connect(stack.wsUrl(), t.subscribeKey);
  const subs = await requestAll(c, Array.from({ length: FREE_CHANNELS_PER_CONNECTION }, (_, i) => ({ type: 'subscribe', channel: `s${i}` })));
  assert.ok(subs.every((f) => f.type === 'subscribed'));
  assert.equal((await c.request({ type: 'presence_subscribe', channel: 's5' })).type, 'reply', 'watching a subscribed channel adds nothing');
  const extra = await c.request({ type: 'presence_subscribe', channel: 'not-held' });
  assert.deepEqual([extra.type, extra.reason], ['error', 'too_many_channels']);
  c.close();
});
