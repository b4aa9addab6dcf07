#!/usr/bin/env node
// Builds @herald/sdk: ESM + CJS for bundlers and Node, a minified script-tag bundle (global `Herald`)
// with its source map, type declarations, and the service-worker helper (dist/herald-sw.js, a classic
// worker script served at /sdk/herald-sw.js). Run from anywhere: `node libs/sdk/build.mjs`.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildBrowserLibrary } from '../../scripts/lib/browser-library.mjs';

const dir = dirname(fileURLToPath(import.meta.url));
const { version, iife } = await buildBrowserLibrary({ dir, file: 'herald', globalName: 'Herald', versionConstant: '__HERALD_VERSION__' });

const sw = join(dir, 'dist/herald-sw.js');
await build({ entryPoints: [join(dir, 'src/sw/herald-sw.ts')], bundle: true, format: 'iife', platform: 'browser', target: ['es2019'], minify: true, sourcemap: true, legalComments: 'none', logLevel: 'warning', outfile: sw });
const tsc = spawnSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', join(dir, 'src/sw/tsconfig.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

if (process.env.HERALD_SDK_SIZE !== '0') {
  const size = (file) => `${(statSync(file).size / 1024).toFixed(1)} KiB min, ${(gzipSync(readFileSync(file)).length / 1024).toFixed(1)} KiB gzip`;
  console.log(`@herald/sdk ${version}: herald.iife.js ${size(iife)}; herald-sw.js ${size(sw)}`);
}
