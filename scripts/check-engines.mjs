#!/usr/bin/env node
// Fails when `npm ci` printed EBADENGINE for a runtime (non-dev) dependency: the README, `engines` and
// the Dockerfile promise a Node version, and no package the apps load may refuse it. Warnings for
// development-only packages are listed, not fatal (the README says which ones have no working version).
//
//   npm ci --no-audit --no-fund 2>&1 | tee npm-ci.log; node scripts/check-engines.mjs npm-ci.log
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib/prepare.mjs';

/** `name@version` of every package npm's EBADENGINE warnings name. */
export function badEnginePackages(log) {
  const found = new Set();
  for (const m of log.matchAll(/EBADENGINE\s+package:\s*'([^']+)'/g)) found.add(m[1]);
  return [...found];
}

/** Splits `name@version` into runtime and dev packages, by the lockfile's `dev` flag on every copy. */
export function classify(specs, lock) {
  const runtime = [];
  const dev = [];
  for (const spec of specs) {
    const at = spec.lastIndexOf('@');
    const name = spec.slice(0, at);
    const version = spec.slice(at + 1);
    const copies = Object.entries(lock.packages ?? {}).filter(([path, p]) => path.endsWith(`node_modules/${name}`) && p.version === version);
    // Unknown to the lockfile: treat as runtime, a check that cannot tell must not pass.
    (copies.length && copies.every(([, p]) => p.dev === true) ? dev : runtime).push(spec);
  }
  return { runtime, dev };
}

function main() {
  const logFile = process.argv[2];
  if (!logFile) {
    console.error('usage: node scripts/check-engines.mjs <npm-ci-output-file>');
    return 2;
  }
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  const { runtime, dev } = classify(badEnginePackages(readFileSync(logFile, 'utf8')), lock);
  for (const spec of dev) console.log(`engine warning for a development tool (not fatal): ${spec}`);
  if (runtime.length) {
    console.error(`✖ runtime dependencies refuse Node ${process.version}: ${runtime.join(', ')}`);
    console.error('  pin a version whose engines allow it (package.json "overrides") or change the promised Node version');
    return 1;
  }
  console.log(`engines: no runtime dependency refuses Node ${process.version}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
