// The staleness check behind `npm start` and `npm test`: they rebuild only when an input is newer
// than the last build's stamp. Run by `npm test` (scripts/**/*.test.mjs run from source).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildReason } from './prepare.mjs';

const root = mkdtempSync(join(tmpdir(), 'herald-prepare-'));
after(() => rmSync(root, { recursive: true, force: true }));

const BUILT_AT = Date.parse('2026-01-01T00:00:00Z') / 1000;
/** Writes a file with the given mtime (seconds relative to the build). */
function file(rel, offsetSeconds) {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '');
  utimesSync(path, BUILT_AT + offsetSeconds, BUILT_AT + offsetSeconds);
}

describe('buildReason', () => {
  test('no dist, then dist without a stamp: build', () => {
    assert.equal(buildReason(root), 'dist is missing');
    mkdirSync(join(root, 'dist'));
    assert.equal(buildReason(root), 'dist has no build stamp');
  });

  test('nothing newer than the stamp: no build', () => {
    file('apps/api/src/main.ts', -60);
    file('libs/sdk/src/index.ts', -60);
    file('tsconfig.json', -60);
    file('dist/.herald-build-stamp', 0);
    assert.equal(buildReason(root), null);
  });

  test('output, dependencies and non-source files newer than the stamp do not count', () => {
    file('libs/sdk/dist/herald.js', 60);
    file('apps/api/node_modules/x/index.ts', 60);
    file('apps/api/README.md', 60);
    assert.equal(buildReason(root), null);
  });

  test('a newer source file, dashboard file or build input: build, naming it', () => {
    file('test/e2e/new.test.ts', 1);
    assert.equal(buildReason(root), 'test/e2e/new.test.ts is newer than the build');
    file('test/e2e/new.test.ts', -1);
    file('apps/dashboard/src/app.css', 1);
    assert.equal(buildReason(root), 'apps/dashboard/src/app.css is newer than the build');
    file('apps/dashboard/src/app.css', -1);
    file('libs/sdk/build.mjs', 1);
    assert.equal(buildReason(root), 'libs/sdk/build.mjs changed');
    file('libs/sdk/build.mjs', -1);
    assert.equal(buildReason(root), null);
  });
});
