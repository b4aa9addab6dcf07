#!/usr/bin/env node
// Runs the Prisma CLI with what it needs to stay offline: DATABASE_URL always set (otherwise Prisma
// falls back to a native engine it would download). See docs/decisions.md.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);
const env = { ...process.env };
env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/herald';
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
env.CHECKPOINT_DISABLE = '1';

// Printed by every migrate command because the schema keeps a url (needed, see prisma/schema.prisma)
// next to the driver adapter of prisma.config.ts. Known and harmless: a start shows no warning for it.
const ADAPTER_URL_WARNING_START = 'WARNING: Your schema specifies the following datasource properties but you are using a Driver Adapter';
const ADAPTER_URL_WARNING_END = 'We recommend you to remove those properties from your schema';

/** Copies lines to stdout except the adapter-url warning block (and the blank line after it). */
function withoutAdapterUrlWarning() {
  let inBlock = false;
  let dropBlank = false;
  return (line) => {
    if (line.startsWith(ADAPTER_URL_WARNING_START)) inBlock = true;
    if (inBlock) {
      if (line.startsWith(ADAPTER_URL_WARNING_END)) (inBlock = false), (dropBlank = true);
      return null;
    }
    if (dropBlank && line === '') return (dropBlank = false), null;
    dropBlank = false;
    return line;
  };
}

const cli = require.resolve('prisma/build/index.js');
const child = spawn(process.execPath, [cli, ...process.argv.slice(2)], { stdio: ['inherit', 'pipe', 'inherit'], env });
const keep = withoutAdapterUrlWarning();
createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
  const out = keep(line);
  if (out !== null) process.stdout.write(`${out}\n`);
});
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
