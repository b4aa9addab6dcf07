#!/usr/bin/env node
// Runs the Prisma CLI with what it needs to stay offline: DATABASE_URL always set (otherwise Prisma
// falls back to a native engine it would download). See docs/decisions.md.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const env = { ...process.env };
env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/herald';
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
env.CHECKPOINT_DISABLE = '1';
const cli = require.resolve('prisma/build/index.js');
const r = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
