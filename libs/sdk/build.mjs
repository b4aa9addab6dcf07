#!/usr/bin/env node
// Builds @herald/sdk: ESM + CJS for bundlers and Node, a minified script-tag bundle (global `Herald`)
// with its source map, and type declarations. Run from anywhere: `node libs/sdk/build.mjs`.
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildBrowserLibrary } from '../../scripts/lib/browser-library.mjs';

const { version, iife } = await buildBrowserLibrary({ dir: dirname(fileURLToPath(import.meta.url)), file: 'herald', globalName: 'Herald', versionConstant: '__HERALD_VERSION__' });
if (process.env.HERALD_SDK_SIZE !== '0') {
  console.log(`@herald/sdk ${version}: herald.iife.js ${(statSync(iife).size / 1024).toFixed(1)} KiB min, ${(gzipSync(readFileSync(iife)).length / 1024).toFixed(1)} KiB gzip`);
}
