import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { HeraldError } from '@herald/protocol';
import { hashPassword, keyDigest, newSessionToken, verifyPassword } from '@herald/auth';
import { AccountsRepository, type AccountRecord } from '@herald/db';
import { AttemptLimits, type AttemptLimit } from '@herald/bus';
import { HashGate } from './hash-gate.js';

export interface Session {
  account: AccountRecord;
  token: string;
}

/** Sign-up, log-in, log-out and session lookup for the management plane. */
@Injectable()
export class AccountsService implements OnModuleInit {
  /** Verified against for unknown emails, so both wrong answers cost one argon2 verification. */
  private dummyHash?: Promise<string>;
  private readonly gate: HashGate;
  private readonly accountFailures: AttemptLimit;
  private readonly loginsByAddress: AttemptLimit;
  private readonly signupsByAddress: AttemptLimit;

  constructor(
    private readonly accounts: AccountsRepository,
    private readonly attempts: AttemptLimits,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    const l = config.login;
    this.gate = new HashGate(l.hashConcurrency, l.hashWaitMs);
    this.accountFailures = { max: l.accountFailures, windowMs: l.windowMs };
    this.loginsByAddress = { max: l.addressAttempts, windowMs: l.windowMs };
    this.signupsByAddress = { max: l.signupAddressAttempts, windowMs: l.windowMs };
  }

  onModuleInit(): void {
    this.dummyHash = hashPassword('herald-timing-equaliser');
    this.dummyHash.catch(() => undefined);
  }

  /** `address`: the client's, for the per-address limit (checked before any hash). */
  async signup(email: string, password: string, address: string): Promise<Session> {
    await this.attempts.hitAddress('signup', address, this.signupsByAddress);
    const account = await this.accounts.create(email, await this.gate.run(() => hashPassword(password)));
    if (!account) throw new HeraldError('email_taken');
    return this.openSession(account);
  }

  /**
   * Refused with 429 before any hash once the address made too many attempts or the account had too many
   * failures in the window; unknown emails count as failures too, so both wrong answers look alike.
   */
  async login(email: string, password: string, address: string): Promise<Session> {
    await this.attempts.hitAddress('login', address, this.loginsByAddress);
    const who = keyDigest(email);
    await this.attempts.assertAccountOpen(who, this.accountFailures);
    const found = await this.accounts.findCredentials(email);
    const hash = found?.passwordHash ?? (await (this.dummyHash ?? hashPassword('herald-timing-equaliser')));
    const ok = await this.gate.run(() => verifyPassword(hash, password));
    if (!found || !ok) {
      await this.attempts.countFailure(who, this.accountFailures);
      throw new HeraldError('invalid_credentials');
    }
    await this.attempts.clearFailures(who);
    const { passwordHash: _omit, ...account } = found;
    return this.openSession(account);
  }

  async logout(token: string): Promise<void> {
    await this.accounts.deleteSession(keyDigest(token));
  }

  /** The account a bearer session token belongs to, or unauthorized. */
  async authenticate(token: string | undefined, now = new Date()): Promise<AccountRecord> {
    if (!token || !token.startsWith('hs_') || token.length > 200) throw new HeraldError('unauthorized', 'A session token is required (Authorization: Bearer hs_…)');
    const account = await this.accounts.findBySessionDigest(keyDigest(token), now);
    if (!account) throw new HeraldError('unauthorized', 'Session expired or unknown');
    return account;
  }

  private async openSession(account: AccountRecord): Promise<Session> {
    const { token, digest } = newSessionToken();
    await this.accounts.createSession(account.id, digest, new Date(Date.now() + this.config.sessionTtlMs));
    return { account, token };
  }
}
