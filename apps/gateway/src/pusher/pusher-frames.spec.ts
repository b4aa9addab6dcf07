import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Position } from '@herald/protocol';
import { OutboundFrame } from '../session/outbound-frame.js';
import { pusherMessage, toPusher, type PusherSocketInfo } from './pusher-frames.js';

const socket = (socketId: string, resuming: Array<[string, Position | null]> = []): PusherSocketInfo => ({ socketId, activityTimeout: 30, resuming: new Map(resuming), presenceUsers: new Map() });
const message = (m: object) => OutboundFrame.fromText('message', JSON.stringify({ type: 'message', channel: 'c', id: 'm1', time: 1, offset: 7, epoch: 'E1', ...m }));

test('a channel event carries its position; one encoding per message for every socket, the excluded socket skipped', () => {
  const frame = message({ content: '{"a":1}', event: 'evt', exclude: '1.2' });
  const a = toPusher(frame, socket('3.4'));
  assert.deepEqual(JSON.parse(a!), { event: 'evt', channel: 'c', data: '{"a":1}', herald: { offset: 7, epoch: 'E1' } });
  assert.equal(toPusher(frame, socket('5.6')), a, 'the same string, not re-encoded');
  assert.equal(toPusher(frame, socket('1.2')), undefined);
  // The fan-out path: one prepared frame (WebSocket bytes built once) shared by every Pusher socket.
  const shared = pusherMessage(frame, socket('3.4'))!;
  assert.equal(pusherMessage(frame, socket('5.6')), shared);
  assert.equal(shared.text(), a);
  assert.equal(shared.ws(), shared.ws(), 'framed once');
  assert.equal(pusherMessage(frame, socket('1.2')), undefined, 'the excluded socket');
  assert.deepEqual(JSON.parse(toPusher(message({ content: { x: 1 } }), socket('3.4'))!), { event: 'message', channel: 'c', data: '{"x":1}', herald: { offset: 7, epoch: 'E1' } });
});

test("a plain subscription's subscribed frame is subscription_succeeded (presence sends its own); a resuming one's comes after the replay, or herald:reset", () => {
  const subscribed = (recovered: boolean, channel = 'c') => OutboundFrame.of({ type: 'subscribed', channel, epoch: 'E2', offset: 10, recovered, replayed: 0 });
  assert.deepEqual(JSON.parse(toPusher(subscribed(false), socket('1.1'))!), { event: 'pusher_internal:subscription_succeeded', channel: 'c', data: '{}' });
  assert.equal(toPusher(subscribed(true, 'presence-room'), socket('1.1')), undefined);
  assert.equal(toPusher(subscribed(true), socket('1.1', [['c', { epoch: 'E2', offset: 3 }]])), undefined);
  const reasons = ([[{ epoch: 'E1', offset: 3 }, 'epoch_changed'], [{ epoch: 'E2', offset: 12 }, 'offset_ahead'], [{ epoch: 'E2', offset: 3 }, 'window_passed']] as const).map(([asked]) => {
    const f = JSON.parse(toPusher(subscribed(false), socket('1.1', [['c', asked]]))!) as { event: string; channel: string; data: string };
    assert.equal(f.event, 'herald:reset');
    assert.equal(f.channel, 'c');
    const d = JSON.parse(f.data) as { recovered: boolean; reason: string; epoch: string; offset: number };
    assert.deepEqual([d.recovered, d.epoch, d.offset], [false, 'E2', 10]);
    return d.reason;
  });
  assert.deepEqual(reasons, ['epoch_changed', 'offset_ahead', 'window_passed']);
});

test("a live reset reaches only the plugin's channels; other Pusher clients see Pusher's frames only", () => {
  const reset = OutboundFrame.of({ type: 'reset', channel: 'c', epoch: 'E3', offset: 0 });
  assert.equal(toPusher(reset, socket('1.1')), undefined);
  const f = JSON.parse(toPusher(reset, socket('1.1', [['c', null]]))!) as { event: string; data: string };
  assert.equal(f.event, 'herald:reset');
  assert.deepEqual(JSON.parse(f.data), { recovered: false, reason: 'continuity_lost', epoch: 'E3', offset: 0 });
});
