import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChannelEvent } from '@herald/bus';
import type { HeraldConfig } from '@herald/config';
import type { NewDelivery, WebhooksRepository } from '@herald/db';
import type { WebhookJob, WebhookProducer } from '@herald/queue';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import type { ActiveWebhook, WebhookDirectory } from './webhook-directory.js';

function setup(hooks: Record<string, ActiveWebhook[]>, delivered: string[] = []) {
  const stored: NewDelivery[] = [];
  const jobs: WebhookJob[] = [];
  const directory = { ofApp: async (appId: string) => hooks[appId] ?? [] } as unknown as WebhookDirectory;
  const repo = {
    createDeliveries: async (rows: NewDelivery[]) => {
      stored.push(...rows);
      return new Set(rows.map((r) => r.id).filter((id) => !delivered.includes(id)));
    },
  } as unknown as WebhooksRepository;
  const producer = { enqueue: async (j: WebhookJob[]) => void jobs.push(...j) } as unknown as WebhookProducer;
  const config = { webhooks: { maxEvents: 2 }, pusher: { webhookHoldMs: 3000 } } as HeraldConfig;
  return { dispatcher: new WebhookDispatcher(directory, repo, producer, config), stored, jobs };
}

const hook = (id: string, appId: string, events: string[], format: ActiveWebhook['format'] = 'herald'): ActiveWebhook => ({ id, appId, url: 'http://x', secret: 's', events: new Set(events), format });
const ev = (id: string, appId: string, type: ChannelEvent['type'], time = 1): ChannelEvent => ({ id, appId, type, channel: 'c', time });

test('events go to the endpoints that chose them, per app, in order, in chunks of maxEvents', async () => {
  const { dispatcher, stored, jobs } = setup({ a: [hook('w1', 'a', ['channel.occupied', 'member.joined']), hook('w2', 'a', ['message.published'])], b: [hook('w3', 'b', ['channel.occupied'])] });
  const n = await dispatcher.dispatch([ev('e1', 'a', 'channel.occupied'), ev('e2', 'b', 'channel.occupied'), ev('e3', 'a', 'member.joined'), ev('e4', 'a', 'member.joined', 5), ev('e5', 'c', 'channel.occupied')]);
  assert.equal(n, 3);
  assert.deepEqual(stored.map((d) => [d.webhookId, d.eventIds]), [[ 'w1', ['e1', 'e3'] ], [ 'w1', ['e4'] ], [ 'w3', ['e2'] ]]);
  const body = JSON.parse(stored[1].body) as { id: string; appId: string; time: number; events: Array<{ id: string; appId?: string }> };
  assert.deepEqual([body.id, body.appId, body.time, body.events.map((e) => e.id), 'appId' in body.events[0]], [stored[1].id, 'a', 5, ['e4'], false]);
  assert.deepEqual(jobs.map((j) => j.deliveryId), stored.map((d) => d.id));
  assert.equal(jobs[0].body, stored[0].body);
});

test('the same events make the same delivery ids and bodies; delivered ones are not enqueued again', async () => {
  const hooks = { a: [hook('w1', 'a', ['channel.occupied'])] };
  const events = [ev('e1', 'a', 'channel.occupied'), ev('e2', 'a', 'channel.occupied')];
  const first = setup(hooks);
  await first.dispatcher.dispatch(events);
  const again = setup(hooks, [first.stored[0].id]);
  await again.dispatcher.dispatch(events);
  assert.deepEqual(again.stored, first.stored);
  assert.deepEqual(again.jobs, []);
});

test("a Pusher-format endpoint gets Pusher's body and names, without the events Pusher has no webhook for", async () => {
  const { dispatcher, stored } = setup({ a: [hook('w1', 'a', ['message.published', 'channel.occupied', 'member.joined', 'member.left', 'channel.vacated'], 'pusher')] });
  const joined: ChannelEvent = { ...ev('e2', 'a', 'member.joined', 7), data: { id: 'ann', data: {} } };
  assert.equal(await dispatcher.dispatch([ev('e0', 'a', 'message.published'), ev('e1', 'a', 'channel.occupied', 3), joined]), 1);
  assert.deepEqual(JSON.parse(stored[0].body), { time_ms: 7, events: [{ name: 'channel_occupied', channel: 'c' }, { name: 'member_added', channel: 'c', user_id: 'ann' }] });
  assert.deepEqual(stored[0].eventIds, ['e1', 'e2']);
  // Only events Pusher has no webhook for: no delivery at all.
  assert.equal(await dispatcher.dispatch([ev('e3', 'a', 'message.published')]), 0);
});

test('in Pusher format, channel_vacated and member_removed go in a delivery of their own, held back', async () => {
  const { dispatcher, stored, jobs } = setup({ a: [hook('w1', 'a', ['channel.occupied', 'channel.vacated', 'member.left'], 'pusher')] });
  const left: ChannelEvent = { ...ev('e3', 'a', 'member.left', 4), data: { id: 'ann' } };
  assert.equal(await dispatcher.dispatch([ev('e1', 'a', 'channel.occupied'), ev('e2', 'a', 'channel.vacated', 2), left]), 2);
  assert.deepEqual(stored.map((d) => d.eventIds), [['e1'], ['e2', 'e3']]);
  assert.deepEqual(jobs.map((j) => (j as { delayMs?: number }).delayMs), [undefined, 3000]);
  assert.deepEqual(JSON.parse(stored[1].body).events, [{ name: 'channel_vacated', channel: 'c' }, { name: 'member_removed', channel: 'c', user_id: 'ann' }]);
});
