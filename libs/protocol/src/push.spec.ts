import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeraldError } from './errors.js';
import { PUSH_PAYLOAD_MAX_BYTES, parsePush } from './push.js';

const reasonOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof HeraldError ? e.reason : `not a HeraldError: ${String(e)}`;
  }
  return undefined;
};

test('a push is checked and its payload built once: defaults one day, normal, always', () => {
  const spec = parsePush({ title: 'T', body: 'B', url: '/a', data: { x: 1 } }, undefined, 'news', 'm-1')!;
  assert.deepEqual(JSON.parse(spec.payload), { title: 'T', body: 'B', url: '/a', data: { x: 1 }, channel: 'news', id: 'm-1' });
  assert.deepEqual({ ttl: spec.ttl, urgency: spec.urgency, mode: spec.mode, topic: spec.topic }, { ttl: 86_400, urgency: 'normal', mode: 'always', topic: undefined });
  const full = parsePush({ title: 'T', body: '', ttl: 0, urgency: 'very-low', topic: 'a_B-9' }, 'offline', 'c', 'i')!;
  assert.deepEqual({ ttl: full.ttl, urgency: full.urgency, mode: full.mode, topic: full.topic }, { ttl: 0, urgency: 'very-low', mode: 'offline', topic: 'a_B-9' });
  assert.equal(parsePush(undefined, undefined, 'c', 'i'), undefined);
  assert.equal(parsePush(null, null, 'c', 'i'), undefined);
});

test('bad options are invalid_push; a payload over one Web Push record is push_payload_too_large', () => {
  const ok = { title: 't', body: 'b' };
  for (const [push, mode] of [
    [[], undefined],
    [{ ...ok, title: '' }, undefined],
    [{ ...ok, title: 5 }, undefined],
    [{ ...ok, body: undefined }, undefined],
    [{ ...ok, icon: 'data:image/png;base64,xx' }, undefined],
    [{ ...ok, url: '//evil.example/x' }, undefined],
    [{ ...ok, ttl: 1.5 }, undefined],
    [{ ...ok, ttl: '60' }, undefined],
    [{ ...ok, topic: 'x'.repeat(33) }, undefined],
    [{ ...ok, constructor: 1 }, undefined],
    [ok, 'never'],
    [undefined, 'always'],
  ] as Array<[unknown, unknown]>) {
    assert.equal(reasonOf(() => parsePush(push, mode, 'c', 'i')), 'invalid_push', JSON.stringify({ push, mode }));
  }
  // The limit is on the JSON the subscriber decrypts, in UTF-8 bytes.
  const overhead = JSON.stringify({ title: 't', body: '', data: '', channel: 'c', id: 'i' }).length;
  assert.equal(reasonOf(() => parsePush({ title: 't', body: '', data: 'x'.repeat(PUSH_PAYLOAD_MAX_BYTES - overhead) }, undefined, 'c', 'i')), undefined);
  assert.equal(reasonOf(() => parsePush({ title: 't', body: '', data: 'x'.repeat(PUSH_PAYLOAD_MAX_BYTES - overhead + 1) }, undefined, 'c', 'i')), 'push_payload_too_large');
  assert.equal(reasonOf(() => parsePush({ title: 't', body: '', data: 'é'.repeat(2000) }, undefined, 'c', 'i')), 'push_payload_too_large');
});
