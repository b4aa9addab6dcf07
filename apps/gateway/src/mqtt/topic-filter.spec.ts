import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isValidChannel } from '@herald/protocol';
import { isWildcardFilter, TopicFilter, topicFilterProblem } from './topic-filter.js';

const matches = (filter: string, topic: string) => new TopicFilter(filter).matches(topic);

test('topic filters match as MQTT 5.0 §4.7 says', () => {
  assert.ok(matches('sport/tennis/player1/#', 'sport/tennis/player1'), '# matches the parent level');
  assert.ok(matches('sport/tennis/player1/#', 'sport/tennis/player1/ranking'));
  assert.ok(matches('sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon'));
  assert.ok(matches('sport/#', 'sport'));
  assert.ok(matches('#', 'anything/at/all'));
  assert.ok(matches('sport/tennis/+', 'sport/tennis/player1'));
  assert.ok(!matches('sport/tennis/+', 'sport/tennis/player1/ranking'), '+ is one level');
  assert.ok(!matches('sport/+', 'sport'), '+ needs the level to exist');
  assert.ok(matches('sport/+', 'sport/'), 'an empty level is a level');
  assert.ok(matches('+/+', '/finance'));
  assert.ok(matches('/+', '/finance'));
  assert.ok(!matches('+', '/finance'));
  assert.ok(!matches('a/b', 'a/b/c'));
  assert.ok(!matches('a/b/c', 'a/b'));
  assert.ok(!matches('#', '$SYS/x'), 'a leading wildcard never matches a $ topic');
  assert.ok(!matches('+/x', '$SYS/x'));
  assert.ok(matches('$SYS/#', '$SYS/x'));
});

test('invalid topic filters are refused with a reason; valid ones pass', () => {
  for (const bad of ['', 'a/#/b', 'a#', 'a/b+', '+a', 'a b/+', 'x'.repeat(165), 'a/\u00e9/+']) assert.ok(topicFilterProblem(bad), bad);
  for (const good of ['#', '+', 'a/+/b/#', '/+', 'devices/42/telemetry', '+/+/+']) assert.equal(topicFilterProblem(good), undefined, good);
  assert.ok(isWildcardFilter('a/+') && isWildcardFilter('#') && !isWildcardFilter('a/b'));
});

test('property: a filter without wildcards matches exactly its own channel; `#` matches every channel; + per level matches any channel of that depth', () => {
  const level = fc.stringMatching(/^[a-z0-9_]{0,6}$/);
  const channel = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('/')).filter(isValidChannel);
  fc.assert(
    fc.property(channel, channel, (a, b) => {
      assert.equal(matches(a, b), a === b);
      assert.ok(matches('#', a));
      const plus = a.split('/').map(() => '+').join('/');
      assert.equal(matches(plus, b), a.split('/').length === b.split('/').length);
      // Replacing any one level of a by + still matches a; a trailing /# matches a and below it.
      const levels = a.split('/');
      const i = levels.length - 1;
      assert.ok(matches([...levels.slice(0, i), '+'].join('/'), a));
      assert.ok(matches(`${a}/#`, a) && matches(`${a}/#`, `${a}/x`));
    }),
    { numRuns: 500 },
  );
});
