#!/usr/bin/env node
// Builds herald-pusher: ESM + CJS for bundlers and Node, a minified script-tag bundle (global
// `HeraldPusher`, served by the gateway at /sdk/herald-pusher.js), and type declarations.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBrowserLibrary } from '../../scripts/lib/browser-library.mjs';

await buildBrowserLibrary({ dir: dirname(fileURLToPath(import.meta.url)), file: 'herald-pusher', globalName: 'HeraldPusher', versionConstant: '__HERALD_PUSHER_VERSION__' });
