import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { callOk, createTenant, startStack, waitFor, type Stack } from '@herald/testing';
import { RawPusher, disconnectAll, serverLibrary, type RawEvent } from './pusher-clients.js';

// Herald's replay extension on the Pusher protocol, on the wire: positions on every event,
// `herald_position` in pusher:subscribe, `herald:reset` when a position cannot be resumed.
let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 1, workers: 1 });
});
after(async () => {
  disconnectAll();
  await stack.stop();
});

const gw = () => stack.gateways[0].url;

/** A socket subscribed to `channel` (with `data` added to pusher:subscribe), once subscription_succeeded came. */
async function subscribed(key: string, channel: string, data: Record<string, unknown> = {}): Promise<RawPusher> {
  const c = RawPusher.open(gw(), key);
  await c.socketId();
  c.send('pusher:subscribe', { channel, ...data });
  await c.next('pusher_internal:subscription_succeeded', channel);
  return c;
}

/** The channel's frames in arrival order: an event's `n`, or the event name for anything else. */
const sequence = (c: RawPusher, channel: string) =>
  c.events.filter((e) => e.channel === channel).map((e) => (e.event === 'tick' ? (JSON.parse(e.data) as { n: number }).n : e.event));
const resetOf = (e: RawEvent) => JSON.parse(e.data) as { recovered: boolean; reason: string; epoch: string; offset: number };

test('every event carries its position; herald_position replays the missed ones before subscription_succeeded, then live', async () => {
  const t = await createTenant(stack.apiUrl);
  const server = serverLibrary(stack, t);
  const first = await subscribed(t.commonKey, 'feed');
  await server.trigger('feed', 'tick', { n: 1 });
  const seen = (await first.next('tick', 'feed')).herald;
  assert.ok(seen && Number.isSafeInteger(seen.offset) && /^[A-Za-z0-9]+$/.test(seen.epoch), 'herald: {offset, epoch}');
  first.close();
  for (const n of [2, 3, 4]) await server.trigger('feed', 'tick', { n });

  const again = await subscribed(t.commonKey, 'feed', { herald_position: seen });
  await server.trigger('feed', 'tick', { n: 5 });
  await waitFor(() => sequence(again, 'feed').includes(5), { what: 'live event after the replay' });
  assert.deepEqual(sequence(again, 'feed'), [2, 3, 4, 'pusher_internal:subscription_succeeded', 5], 'no gap, no duplicate, replay first');
  const offsets = again.events.filter((e) => e.event === 'tick').map((e) => e.herald!.offset);
  assert.deepEqual(offsets, [1, 2, 3, 4].map((i) => seen.offset + i));

  // Without herald_position: Pusher's behaviour, nothing replayed, no reset frame.
  const plain = await subscribed(t.commonKey, 'feed');
  await server.trigger('feed', 'tick', { n: 6 });
  await plain.next('tick', 'feed');
  assert.deepEqual(sequence(plain, 'feed'), ['pusher_internal:subscription_succeeded', 6]);
  again.close();
  plain.close();
});

test('a position that cannot be resumed gets herald:reset (epoch, ahead, window) before subscription_succeeded, then live', async () => {
  const t = await createTenant(stack.apiUrl, { historySize: 10 });
  const server = serverLibrary(stack, t);
  const probe = await subscribed(t.commonKey, 'feed');
  await server.trigger('feed', 'tick', { n: 1 });
  const at = (await probe.next('tick', 'feed')).herald!;
  probe.close();
  for (let n = 2; n <= 15; n++) await server.trigger('feed', 'tick', { n });
  let top = at.offset + 14;

  const cases: Array<[string, { offset: number; epoch: string }]> = [
    ['epoch_changed', { offset: at.offset, epoch: 'NotTheEpoch1' }],
    ['offset_ahead', { offset: top + 5, epoch: at.epoch }],
    ['window_passed', at],
  ];
  for (const [reason, position] of cases) {
    const c = await subscribed(t.commonKey, 'feed', { herald_position: position });
    assert.deepEqual(resetOf(await c.next('herald:reset', 'feed')), { recovered: false, reason, epoch: at.epoch, offset: top });
    await server.trigger('feed', 'tick', { n: 100 });
    await waitFor(() => sequence(c, 'feed').includes(100), { what: `live after ${reason}` });
    assert.deepEqual(sequence(c, 'feed'), ['herald:reset', 'pusher_internal:subscription_succeeded', 100], reason);
    c.close();
    top += 1; // the live event
  }
});

test('a malformed herald_position is refused (subscription_error 400); another app\'s position resumes nothing of it', async () => {
  const t = await createTenant(stack.apiUrl);
  const other = await createTenant(stack.apiUrl);
  const c = RawPusher.open(gw(), t.commonKey);
  await c.socketId();
  for (const bad of ['x', [1], { offset: -1, epoch: 'abc' }, { offset: 1, epoch: 'no spaces' }]) {
    c.send('pusher:subscribe', { channel: 'feed', herald_position: bad });
    const err = await c.next('pusher:subscription_error', 'feed');
    assert.equal((JSON.parse(err.data) as { status: number }).status, 400);
    c.events.length = 0;
  }
  c.send('pusher:subscribe', { channel: 'feed', herald_position: null });
  await c.next('pusher_internal:subscription_succeeded', 'feed');

  // App A's position on app B's socket: B's channel of that name has its own epoch; nothing of A's is replayed.
  const server = serverLibrary(stack, t);
  for (const n of [1, 2]) await server.trigger('feed', 'tick', { n });
  const position = (await c.next('tick', 'feed')).herald!;
  const b = await subscribed(other.commonKey, 'feed', { herald_position: position });
  assert.equal(resetOf(await b.next('herald:reset', 'feed')).reason, 'epoch_changed');
  assert.deepEqual(sequence(b, 'feed'), ['herald:reset', 'pusher_internal:subscription_succeeded']);
  c.close();
  b.close();
});

test("the archive keeps a trigger's event name: history beyond the Redis window still has it", async () => {
  const t = await createTenant(stack.apiUrl, { historySize: 10 });
  const server = serverLibrary(stack, t);
  for (let n = 1; n <= 15; n++) await server.trigger('archived', `evt-${n}`, { n });
  const read = () => callOk<{ messages: Array<{ offset: number; event?: string; content: string }> }>(stack.apiUrl, 'GET', '/v1/channels/archived/history?limit=15', { token: t.secret });
  await waitFor(async () => (await read()).messages.length === 15, { timeoutMs: 10_000, what: 'archive caught up' });
  const { messages } = await read();
  assert.deepEqual(messages.map((m) => [m.event, JSON.parse(m.content)]), Array.from({ length: 15 }, (_, i) => [`evt-${i + 1}`, { n: i + 1 }]));
});
