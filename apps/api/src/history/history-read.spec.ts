import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFrames } from '@herald/channels';
import { historyEtag, matchesIfNoneMatch } from './history-read.js';

const base = { appId: 'app_1', channel: 'c', epoch: 'e1', top: 3, query: 'limit=100', first: 1, last: 3, count: 3 };

test('the tag changes with every input and is stable otherwise', () => {
  const tag = historyEtag(base);
  assert.match(tag, /^"[A-Za-z0-9_-]+"$/);
  assert.equal(historyEtag({ ...base }), tag);
  for (const change of [{ top: 4 }, { epoch: 'e2' }, { query: 'limit=1' }, { first: 2 }, { channel: 'd' }, { appId: 'app_2' }]) {
    assert.notEqual(historyEtag({ ...base, ...change }), tag);
  }
});

test('If-None-Match matches lists, weak forms and *', () => {
  const tag = '"abc"';
  assert.equal(matchesIfNoneMatch(undefined, tag), false);
  assert.equal(matchesIfNoneMatch('"abc"', tag), true);
  assert.equal(matchesIfNoneMatch('"x", W/"abc"', tag), true);
  assert.equal(matchesIfNoneMatch('*', tag), true);
  assert.equal(matchesIfNoneMatch('"abd"', tag), false);
});

test('parseFrames drops the frame type', () => {
  const [m] = parseFrames(['{"type":"message","channel":"c","id":"i","time":5,"content":{"a":1},"offset":1,"epoch":"e"}']);
  assert.deepEqual(m, { channel: 'c', id: 'i', time: 5, content: { a: 1 }, offset: 1, epoch: 'e' });
});
