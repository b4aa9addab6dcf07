import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeraldError } from '@herald/protocol';
import { scheduledTime } from './scheduled-publish.service.js';

const now = 1_800_000_000_000;
const reason = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as HeraldError).reason;
  }
  return 'ok';
};

test('scheduled time: delay or at (ms or ISO), in the future, within the plan horizon', () => {
  assert.equal(scheduledTime({ delay: 5000 }, 60, now), now + 5000);
  assert.equal(scheduledTime({ at: now + 1 }, 60, now), now + 1);
  assert.equal(scheduledTime({ at: new Date(now + 60_000).toISOString() }, 60, now), now + 60_000);
  for (const bad of [{ delay: 0 }, { delay: -1 }, { at: now }, { delay: 60_001 }, { delay: 1.5 }, { delay: '10' }, { at: 'soon' }, { at: null }, { delay: 1, at: now + 5 }]) {
    assert.equal(reason(() => scheduledTime(bad, 60, now)), 'invalid_delay', JSON.stringify(bad));
  }
});
