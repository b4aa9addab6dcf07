#!/usr/bin/env node
// Builds @herald/sdk: ESM + CJS for bundlers and Node, a minified script-tag bundle (global `Herald`)
// with its source map, and type declarations. Run from anywhere: `node libs/sdk/build.mjs`.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
// Files are overwritten in place, never deleted first: a gateway or test running meanwhile keeps serving.

const common = {
  entryPoints: [join(here, 'src/index.ts')],
  bundle: true,
  target: ['es2019'],
  define: { __HERALD_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
  legalComments: 'none',
};
await Promise.all([
  build({ ...common, format: 'esm', platform: 'neutral', outfile: join(out, 'herald.mjs'), sourcemap: true }),
  build({ ...common, format: 'cjs', platform: 'neutral', outfile: join(out, 'herald.cjs'), sourcemap: true }),
  build({ ...common, format: 'iife', platform: 'browser', globalName: 'Herald', minify: true, sourcemap: true, outfile: join(out, 'herald.iife.js') }),
]);

const require = createRequire(import.meta.url);
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const min = readFileSync(join(out, 'herald.iife.js'));
if (process.env.HERALD_SDK_SIZE !== '0') {
  console.log(`@herald/sdk ${pkg.version}: herald.iife.js ${(statSync(join(out, 'herald.iife.js')).size / 1024).toFixed(1)} KiB min, ${(gzipSync(min).length / 1024).toFixed(1)} KiB gzip`);
}
