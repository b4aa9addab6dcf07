import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { HeraldError } from '@herald/protocol';
import { createValidationPipe } from '../http/validation.pipe.js';
import { dtoPredicate } from './dto-predicate.js';
import { isPlainPublish } from './publish-ingress.js';
import { PublishDto, FRAMEWORK_ONLY_FIELDS } from './publish.dto.js';

const pipe = createValidationPipe();

/** What the framework route (ValidationPipe on PublishDto, the API's options) accepts. */
async function frameworkAccepts(body: unknown, metatype: new () => unknown = PublishDto): Promise<boolean> {
  try {
    await pipe.transform(body, { type: 'body', metatype, data: undefined });
    return true;
  } catch (e) {
    assert.ok(e instanceof HeraldError && e.reason === 'invalid_request', `refused with ${String(e)}`);
    return false;
  }
}

/** Strings around a length limit, with characters of one, two and (astral) two UTF-16 units. */
const aroundLength = (n: number) => fc.array(fc.constantFrom('a', 'é', '😀'), { minLength: n - 3, maxLength: n + 3 }).map((cs) => cs.join(''));

const anyValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string(),
  aroundLength(200),
  aroundLength(4096),
  fc.jsonValue({ maxDepth: 2 }),
);

const publishFields = ['channel', 'message', 'id', 'accessToken', 'appkey'];
const strangers = ['ID', 'extra', 'constructor', 'toString', '__proto__', 'hasOwnProperty', ''];

/** A body as the ingress sees it: JSON text parsed (so `__proto__` is an own key, as on the wire). */
const body = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...publishFields, ...strangers), anyValue), { maxLength: 7, selector: ([k]) => k })
  .map((entries) => JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`) as unknown);

test('the fast ingress accepts exactly the publish bodies the framework route accepts (scheduling and push aside)', async () => {
  await fc.assert(
    fc.asyncProperty(body, async (b) => {
      assert.equal(isPlainPublish(b), await frameworkAccepts(b), JSON.stringify(b).slice(0, 300));
    }),
    { numRuns: 2000 },
  );
});

test('a scheduled publish or one with push, even one the DTO accepts, is left to the framework route', async () => {
  for (const field of FRAMEWORK_ONLY_FIELDS) {
    const b = { channel: 'c', message: 'm', [field]: 1000 };
    assert.equal(await frameworkAccepts(b), true);
    assert.equal(isPlainPublish(b), false, field);
  }
});

test('limits are counted as class-validator counts them (code points, not UTF-16 units)', async () => {
  // 4,097 UTF-16 units but 4,096 characters: MaxLength(4096) accepts it, so the fast path must too.
  const b = { channel: 'c', message: 'm', accessToken: `😀${'a'.repeat(4095)}` };
  assert.equal(await frameworkAccepts(b), true);
  assert.equal(isPlainPublish(b), true);
});

test('a field named after an Object.prototype member is refused, not silently dropped by class-transformer', async () => {
  for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const b = JSON.parse(`{"channel":"c","message":"m",${JSON.stringify(key)}:1}`) as unknown;
    assert.equal(await frameworkAccepts(b), false, key);
    assert.equal(isPlainPublish(b), false, key);
  }
});

class Changed {
  @IsOptional()
  @IsString()
  @MaxLength(3)
  id?: string;
}

test('a DTO change moves the predicate with it: the rules are read, not restated', async () => {
  const accepts = dtoPredicate(Changed);
  for (const b of [{}, { id: 'abc' }, { id: 'abcd' }, { id: 3 }, { id: null }, { other: 1 }]) {
    assert.equal(accepts(b), await frameworkAccepts(b, Changed), JSON.stringify(b));
  }
});

class Nested {
  @ValidateNested()
  inner: unknown;
}

test('a rule the predicate cannot run on the raw body stops start-up instead of being skipped', () => {
  assert.throws(() => dtoPredicate(Nested), /Nested\.inner: nestedValidation rules are not supported/);
});
