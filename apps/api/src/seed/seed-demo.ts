import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { CONFIG, DEV_DEMO_PASSWORD, type HeraldConfig } from '@herald/config';
import { hashPassword, isKeyShape, kindOfKey, newId, verifyPassword, type KeyKind } from '@herald/auth';
import { AccountsRepository, AppsRepository, KeysRepository, type AccountRecord, type AppRecord } from '@herald/db';
import { KeyMaterial } from '../keys/key-material.js';

export interface DemoCredentials {
  appId: string;
  commonKey: string;
  subscribeKey: string;
  secret: string;
  email: string;
  /** Null when the account keeps the password it had (production, none configured): it was printed when generated. */
  password: string | null;
}

export interface SeedDeps {
  config: HeraldConfig;
  accounts: AccountsRepository;
  apps: AppsRepository;
  keys: KeysRepository;
  material: KeyMaterial;
}

const DEMO_PLAN = 'demo';
const DEMO_APP_NAME = 'Demo';

/** 144 random bits, typeable: for a production admin nobody chose a password for. */
const generatePassword = () => randomBytes(18).toString('base64url');

/**
 * An existing admin's password after seeding, and its new hash when it changes: a configured password
 * is made the account's; with none (production only) the account keeps its own, unless that is the
 * published DEV_DEMO_PASSWORD (seeded in development mode earlier), which is replaced by a generated one.
 */
async function nextPassword(configured: string | undefined, currentHash: string): Promise<{ password: string | null; hash?: string }> {
  if (configured !== undefined) {
    return (await verifyPassword(currentHash, configured)) ? { password: configured } : { password: configured, hash: await hashPassword(configured) };
  }
  if (!(await verifyPassword(currentHash, DEV_DEMO_PASSWORD))) return { password: null };
  const password = generatePassword();
  return { password, hash: await hashPassword(password) };
}

async function ensureAccount(d: SeedDeps): Promise<{ account: AccountRecord; password: string | null }> {
  const configured = d.config.demo.password;
  const email = d.config.demo.email.trim().toLowerCase();
  const found = await d.accounts.findCredentials(email);
  if (!found) {
    // Configured, or (production only) generated: printed in this run's output, never again.
    const password = configured ?? generatePassword();
    const created = await d.accounts.create(email, await hashPassword(password), 'admin');
    if (created) return { account: created, password };
    // Lost a race with a concurrent seed: the account exists now.
    return ensureAccount(d);
  }
  const { password, hash } = await nextPassword(configured, found.passwordHash);
  if (!hash && found.role === 'admin') return { account: found, password };
  return { account: (await d.accounts.update(found.id, { passwordHash: hash, role: 'admin' })) ?? found, password };
}

async function ensureApp(d: SeedDeps, account: AccountRecord): Promise<AppRecord> {
  const wantedId = d.config.demo.appId;
  let app: AppRecord | undefined;
  if (wantedId) {
    // App ids end up in Redis keys and BullMQ job ids ('.' separates the message id there).
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(wantedId)) throw new Error('HERALD_DEMO_APP_ID must be 1-64 characters from A-Z a-z 0-9 _ -');
    app = await d.apps.findForSystem(wantedId);
    if (app && app.accountId !== account.id) throw new Error(`HERALD_DEMO_APP_ID ${wantedId} belongs to another account`);
  } else {
    app = (await d.apps.list(account.id)).find((a) => a.plan.id === DEMO_PLAN);
  }
  if (!app) {
    return d.apps.createWithKeys(account.id, { id: wantedId ?? newId('app'), name: DEMO_APP_NAME, planId: DEMO_PLAN, allowedOrigins: [] }, []);
  }
  if (app.plan.id !== DEMO_PLAN || app.allowedOrigins.length > 0) {
    return (await d.apps.update(account.id, app.id, { planId: DEMO_PLAN, allowedOrigins: [] })) ?? app;
  }
  return app;
}

/** The app's key of a kind: the configured value verbatim if one is set, else the active one, else a new one. */
async function ensureKey(d: SeedDeps, appId: string, kind: KeyKind, wanted: string | undefined): Promise<string> {
  if (wanted !== undefined && !(isKeyShape(kind, wanted) && kindOfKey(wanted) === kind)) {
    throw new Error(`The configured demo ${kind} key does not have the shape of a ${kind} key`);
  }
  const active = await d.keys.findActive(appId, kind);
  const current = active ? d.material.reveal(active) : undefined;
  if (current !== undefined && (wanted === undefined || current === wanted)) return current;
  const issued = d.material.issue(kind, appId, wanted);
  if (wanted === undefined) await d.keys.insert(appId, [issued.record]);
  // Pinned keys replace every key of the kind: the demo app answers to exactly what was configured.
  else await d.keys.replace(appId, issued.record);
  return issued.value;
}

/**
 * Creates or updates the demo account (admin) and its app on the demo plan (any origin). Idempotent:
 * configured ids and keys are used verbatim; otherwise they are generated once and kept across runs.
 */
export async function seedDemoWith(d: SeedDeps): Promise<DemoCredentials> {
  const { account, password } = await ensureAccount(d);
  const app = await ensureApp(d, account);
  const { demo } = d.config;
  return {
    appId: app.id,
    commonKey: await ensureKey(d, app.id, 'common', demo.commonKey),
    subscribeKey: await ensureKey(d, app.id, 'subscribe', demo.subscribeKey),
    secret: await ensureKey(d, app.id, 'secret', demo.secret),
    email: account.email,
    password,
  };
}

/** The same, from a Nest application context that provides the db repositories and KeyMaterial. */
export function seedDemo(ctx: INestApplicationContext): Promise<DemoCredentials> {
  return seedDemoWith({
    config: ctx.get<HeraldConfig>(CONFIG),
    accounts: ctx.get(AccountsRepository),
    apps: ctx.get(AppsRepository),
    keys: ctx.get(KeysRepository),
    material: ctx.get(KeyMaterial),
  });
}
