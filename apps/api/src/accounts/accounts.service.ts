import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { HeraldError } from '@herald/protocol';
import { hashPassword, keyDigest, newSessionToken, verifyPassword } from '@herald/auth';
import { AccountsRepository, type AccountRecord } from '@herald/db';

export interface Session {
  account: AccountRecord;
  token: string;
}

/** Sign-up, log-in, log-out and session lookup for the management plane. */
@Injectable()
export class AccountsService implements OnModuleInit {
  /** Verified against for unknown emails, so both wrong answers cost one argon2 verification. */
  private dummyHash?: Promise<string>;

  constructor(
    private readonly accounts: AccountsRepository,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  onModuleInit(): void {
    this.dummyHash = hashPassword('herald-timing-equaliser');
    this.dummyHash.catch(() => undefined);
  }

  async signup(email: string, password: string): Promise<Session> {
    const account = await this.accounts.create(email, await hashPassword(password));
    if (!account) throw new HeraldError('email_taken');
    return this.openSession(account);
  }

  async login(email: string, password: string): Promise<Session> {
    const found = await this.accounts.findCredentials(email);
    if (!found) {
      await verifyPassword(await (this.dummyHash ?? hashPassword('herald-timing-equaliser')), password);
      throw new HeraldError('invalid_credentials');
    }
    if (!(await verifyPassword(found.passwordHash, password))) throw new HeraldError('invalid_credentials');
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
