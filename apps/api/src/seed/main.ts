import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { SeedModule } from './seed.module.js';
import { seedDemo } from './seed-demo.js';

/** `node dist/apps/api/src/seed/main.js`: seeds the demo account and app, prints one JSON line. */
async function main(): Promise<void> {
  const ctx = await NestFactory.createApplicationContext(SeedModule, { logger: ['error', 'warn'] });
  try {
    const demo = await seedDemo(ctx);
    process.stdout.write(`${JSON.stringify(demo)}\n`);
  } finally {
    await ctx.close();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
