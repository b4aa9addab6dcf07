// Dependency install and build steps shared by scripts/start.mjs and scripts/test.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Fatal, note, step, warn } from './ui.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// Our own stamp: tsc's incremental .tsbuildinfo is not rewritten by a build that changed nothing.
const buildStamp = (root) => join(root, 'dist', '.herald-build-stamp');
const INSTALL_STAMP = join(ROOT, 'node_modules', '.herald-install-stamp');
const SOURCE_DIRS = ['apps', 'libs', 'test'];
// Files outside SOURCE_DIRS whose change changes the build's output.
const BUILD_INPUTS = ['tsconfig.json', 'package.json', 'package-lock.json', 'libs/sdk/build.mjs', 'libs/pusher-plugin/build.mjs', 'scripts/lib/browser-library.mjs', 'apps/dashboard/vite.config.ts', 'apps/dashboard/tsconfig.json', 'scripts/dashboard-api-types.mjs'];
// .tsx, .css and .html: the dashboard (apps/dashboard, built by Vite into dist/dashboard).
const SOURCE_FILE = /\.(ts|tsx|css|html)$/;

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
};

/** Runs a command in the repository root with inherited stdio; a non-zero exit is Fatal. */
export function run(cmd, args, { env = process.env, what = `${cmd} ${args.join(' ')}` } = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env, shell: process.platform === 'win32' });
  if (r.error) throw new Fatal(`${what} could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Fatal(`${what} failed (${r.signal ? `signal ${r.signal}` : `exit code ${r.status}`})`);
}

/** Why `npm ci` is needed, or null. */
export function installReason() {
  const modules = join(ROOT, 'node_modules');
  if (!existsSync(modules)) return 'node_modules is missing';
  const installed = Math.max(mtime(join(modules, '.package-lock.json')), mtime(INSTALL_STAMP));
  if (installed < mtime(join(ROOT, 'package-lock.json'))) return 'package-lock.json is newer than node_modules';
  return null;
}

export function ensureDeps({ skip = false } = {}) {
  const reason = installReason();
  if (!reason) return;
  if (skip) {
    if (reason === 'node_modules is missing') throw new Fatal('node_modules is missing; run without --no-install (or run `npm ci`)');
    note(`--no-install: not installing although ${reason}`);
    return;
  }
  step(`Installing dependencies: npm ci (${reason})`);
  run(NPM, ['ci', '--no-audit', '--no-fund']);
  writeFileSync(INSTALL_STAMP, `${new Date().toISOString()}\n`);
}


function newestSource(dir, since) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return null;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === 'node_modules' || e.name === 'dist') continue;
      const found = newestSource(path, since);
      if (found) return found;
    } else if (SOURCE_FILE.test(e.name) && mtime(path) > since) {
      return path;
    }
  }
  return null;
}

/** Why `npm run build` is needed, or null (`root`: the repository, a parameter for the tests). */
export function buildReason(root = ROOT) {
  const stamp = mtime(buildStamp(root));
  if (!existsSync(join(root, 'dist'))) return 'dist is missing';
  if (!stamp) return 'dist has no build stamp';
  for (const f of BUILD_INPUTS) {
    if (mtime(join(root, f)) > stamp) return `${f} changed`;
  }
  for (const dir of SOURCE_DIRS) {
    const file = newestSource(join(root, dir), stamp);
    if (file) return `${relative(root, file)} is newer than the build`;
  }
  return null;
}

/** Builds when stale (or always with `force`); the stamp records the build's start time. */
export function ensureBuild({ skip = false, force = false } = {}) {
  const reason = force ? 'fresh build requested' : buildReason();
  if (!reason) {
    note('build is up to date');
    return;
  }
  if (skip) {
    if (!existsSync(join(ROOT, 'dist'))) throw new Fatal('dist is missing; run without --no-build (or run `npm run build`)');
    note(`--no-build: not building although ${reason}`);
    return;
  }
  step(`Building: npm run build (${reason})`);
  const started = new Date();
  run(NPM, ['run', 'build']);
  writeFileSync(buildStamp(ROOT), `${started.toISOString()}\n`);
  // Files edited while tsc ran must still count as newer than the build.
  const t = started.getTime() / 1000;
  utimesSync(buildStamp(ROOT), t, t);
}
