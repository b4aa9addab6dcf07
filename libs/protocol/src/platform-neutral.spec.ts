import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import ts from 'typescript';

/**
 * libs/protocol is bundled into the browser SDK as well as run by the servers, so it may use only what
 * both have: no Node built-in module, no Buffer, process or require. Checked two ways: its sources must
 * type-check with the browser's globals and none of Node's, and its browser bundle must run in a bare
 * context (no Node globals at all) and read back a cursor it wrote.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const SRC = path.join(ROOT, 'libs/protocol/src');
const sources = readdirSync(SRC)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
  .map((f) => path.join(SRC, f));

test('libs/protocol type-checks with browser globals only (no @types/node: Buffer, process, node: imports fail)', () => {
  const program = ts.createProgram(sources, {
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.ES2020,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2020.d.ts', 'lib.dom.d.ts'],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${path.relative(ROOT, d.file.fileName)}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
  assert.ok(sources.length >= 7, `found only ${sources.length} protocol sources in ${SRC}`);
  assert.deepEqual(problems, []);
});

test('the browser bundle of libs/protocol imports nothing and runs without Node globals', async () => {
  const out = await build({
    entryPoints: [path.join(SRC, 'index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'protocol',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const outside = Object.keys(out.metafile.inputs).filter((f) => !path.resolve(ROOT, f).startsWith(SRC + path.sep));
  assert.deepEqual(outside, [], 'the protocol bundle pulls in files from outside libs/protocol/src');
  const imports = Object.values(out.metafile.inputs).flatMap((i) => i.imports.filter((x) => x.external).map((x) => x.path));
  assert.deepEqual(imports, []);

  // A context with the language's globals plus what every browser has (and nothing of Node's).
  const sandbox: Record<string, unknown> = { TextEncoder, TextDecoder };
  runInNewContext(`${out.outputFiles[0].text}\nthis.protocol = protocol;`, sandbox);
  const p = sandbox.protocol as typeof import('./index.js');
  const positions: Array<[string, { epoch: string; offset: number }]> = [
    ['chat', { epoch: 'E1', offset: 42 }],
    ['presence-room;1', { epoch: 'x9', offset: 0 }],
  ];
  const cursor = p.encodeCursor(positions);
  assert.equal(cursor, `v1.${Buffer.from(JSON.stringify(positions.map(([c, q]) => [c, q.epoch, q.offset]))).toString('base64url')}`);
  // Objects made in the other context have its prototypes: compare their JSON.
  assert.equal(JSON.stringify([...p.decodeCursor(cursor)]), JSON.stringify(positions));
  assert.equal(typeof p.readCursor('v1.*'), 'string');
  assert.equal(p.closeReason('é'.repeat(100)).length, 61);
});
