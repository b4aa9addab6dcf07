// Prisma CLI configuration. Runs the bundled WASM schema engine through the pg driver adapter so that
// `migrate deploy|dev|diff` work without downloading an engine binary (see docs/decisions.md).
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';
import { randomUUID } from 'node:crypto';

const DEFAULT_URL = 'postgresql://postgres@127.0.0.1:5432/herald';
process.env.DATABASE_URL ??= DEFAULT_URL;
const url = new URL(process.env.DATABASE_URL);
const cfg = {
  host: url.hostname,
  port: Number(url.port || 5432),
  user: decodeURIComponent(url.username),
  password: decodeURIComponent(url.password),
  database: url.pathname.slice(1),
};

// adapter-pg 6.19.3 lets connectionString override the shadow database name, and drops the shadow
// database before closing its pool: connect with discrete fields and close first.
class PgMigrate extends PrismaPg {
  override async connectToShadowDb() {
    const admin = await new PrismaPg(cfg).connect();
    const db = `prisma_shadow_${randomUUID().replace(/-/g, '')}`;
    await admin.executeScript(`CREATE DATABASE "${db}"`);
    const shadow = await new PrismaPg({ ...cfg, database: db }).connect();
    const release = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await release();
      await admin.executeScript(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      await admin.dispose();
    };
    return shadow;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  adapter: async () => new PgMigrate(cfg),
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
