import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { KeysRepository } from '@herald/db';
import { HeraldError } from '@herald/protocol';
import type { Session } from './session.js';

/**
 * Keys are checked when a connection opens; this re-checks the keys of live connections every
 * HERALD_KEY_RECHECK_MS with one query, so a revoked or retired key, a suspended or deleted app, ends
 * its connections within that period on every gateway — whichever process made the change.
 */
@Injectable()
export class KeyAudit {
  private lastRun = 0;
  private running = false;
  private readonly logger;

  constructor(
    private readonly keys: KeysRepository,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'key-audit' });
  }

  /** Called by the session sweep; `close` ends one session with a reason. */
  runDue(sessions: Iterable<Session>, now: number, close: (s: Session, reason: HeraldError) => void): void {
    if (this.running || now - this.lastRun < this.config.keyRecheckMs) return;
    this.lastRun = now;
    const live = [...sessions];
    if (live.length === 0) return;
    this.running = true;
    const ids = [...new Set(live.map((s) => s.ctx.keyId))];
    this.keys
      .usable(ids, new Date(now))
      .then((status) => {
        for (const s of live) {
          const st = status.get(s.ctx.keyId) ?? 'app_not_found';
          if (st !== 'ok' && !s.closed) close(s, new HeraldError(st));
        }
      })
      .catch((e: Error) => this.logger.warn({ err: e.message }, 'key re-check failed'))
      .finally(() => (this.running = false));
  }
}
