#!/usr/bin/env node
// Builds herald-pusher: ESM + CJS for bundlers and Node, a minified script-tag bundle (global
// `HeraldPusher`, served by the gateway at /sdk/herald-pusher.js), and type declarations.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const common = {
  entryPoints: [join(here, 'src/index.ts')],
  bundle: true,
  target: ['es2019'],
  define: { __HERALD_PUSHER_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
  legalComments: 'none',
};
await Promise.all([
  build({ ...common, format: 'esm', platform: 'neutral', outfile: join(out, 'herald-pusher.mjs'), sourcemap: true }),
  build({ ...common, format: 'cjs', platform: 'neutral', outfile: join(out, 'herald-pusher.cjs'), sourcemap: true }),
  build({ ...common, format: 'iife', platform: 'browser', globalName: 'HeraldPusher', minify: true, sourcemap: true, outfile: join(out, 'herald-pusher.iife.js') }),
]);
const require = createRequire(import.meta.url);
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
