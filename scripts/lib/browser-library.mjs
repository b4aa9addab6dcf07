// Builds one of the browser libraries Herald serves (libs/sdk, libs/pusher-plugin): ESM + CJS for
// bundlers and Node, a minified script-tag bundle with its source map, and type declarations (the
// library's own tsconfig). Files are overwritten in place, never deleted first: a gateway or test
// running meanwhile keeps serving.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * `dir`: the library's folder (package.json, src/index.ts, tsconfig.json); `file`: the output's base name;
 * `globalName`: the script tag's global; `versionConstant`: the identifier replaced by package.json's
 * version. Returns the package version and the path of the script-tag bundle.
 */
export async function buildBrowserLibrary({ dir, file, globalName, versionConstant }) {
  const out = join(dir, 'dist');
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const common = {
    entryPoints: [join(dir, 'src/index.ts')],
    bundle: true,
    target: ['es2019'],
    define: { [versionConstant]: JSON.stringify(pkg.version) },
    logLevel: 'warning',
    legalComments: 'none',
  };
  const iife = join(out, `${file}.iife.js`);
  await Promise.all([
    build({ ...common, format: 'esm', platform: 'neutral', outfile: join(out, `${file}.mjs`), sourcemap: true }),
    build({ ...common, format: 'cjs', platform: 'neutral', outfile: join(out, `${file}.cjs`), sourcemap: true }),
    build({ ...common, format: 'iife', platform: 'browser', globalName, minify: true, sourcemap: true, outfile: iife }),
  ]);
  const require = createRequire(import.meta.url);
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  return { version: pkg.version, iife };
}
