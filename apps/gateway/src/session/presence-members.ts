import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { PresenceStore, type PresenceEntry } from '@herald/bus';
import { HeraldError } from '@herald/protocol';
import type { Session } from './session.js';

/**
 * A session's presence memberships on this gateway: joined on subscribe, left on unsubscribe or
 * close, leases renewed in batches. A gateway that dies stops renewing, and its members time out
 * within the lease (HERALD_PRESENCE_LEASE_MS) through the worker's sweep.
 */
@Injectable()
export class PresenceMembers {
  private readonly logger;
  private lastRenew = 0;
  private renewing = false;

  constructor(
    private readonly store: PresenceStore,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'presence' });
  }

  /** Joins as `member`: the connect-time user by default (Herald), a channel's signed member (Pusher). */
  async join(session: Session, channel: string, member = session.user): Promise<void> {
    if (!member) throw new HeraldError('invalid_request', 'Presence needs a user id: connect with id (and data)');
    await this.store.join(session.appId, channel, {
      connId: session.id,
      userId: member.id,
      data: member.data,
      leaseMs: this.config.presenceLeaseMs,
    });
    if (session.closed) {
      // The connection ended while it joined (its leaveAll found no membership yet): leave now, so the
      // others see a leave at once rather than a timeout a lease later.
      await this.store.leave(session.appId, channel, { connId: session.id, userId: member.id });
      return;
    }
    session.addMembership(channel, member);
  }

  /** The member cap per channel; a user already present (another connection) always gets in. */
  async assertRoom(session: Session, channel: string, userId = session.user?.id): Promise<void> {
    const max = this.config.maxPresenceMembers;
    const { amount } = await this.store.hereNow(session.appId, channel, 1);
    if (amount < max) return;
    const { members } = await this.store.hereNow(session.appId, channel, Math.min(max, 1000));
    if (!members.some((m) => m.id === userId)) throw new HeraldError('too_many_members', `At most ${max} presence members per channel`);
  }

  async leave(session: Session, channel: string): Promise<void> {
    const member = session.deleteMembership(channel);
    if (member) await this.store.leave(session.appId, channel, { connId: session.id, userId: member.id });
  }

  leaveAll(session: Session): void {
    for (const channel of [...session.memberships.keys()]) {
      this.leave(session, channel).catch((e: Error) => this.logger.warn({ err: e.message }, 'presence leave failed'));
    }
  }

  /** Called by the session sweep; renews every membership once per third of the lease. */
  renewDue(sessions: Iterable<Session>, now: number): void {
    if (this.renewing || now - this.lastRenew < this.config.presenceLeaseMs / 3) return;
    this.lastRenew = now;
    const entries: PresenceEntry[] = [];
    const bySession = new Map<string, Session>();
    for (const s of sessions) {
      if (s.memberships.size === 0) continue;
      bySession.set(s.id, s);
      for (const [channel, member] of s.memberships) entries.push({ appId: s.appId, channel, connId: s.id, userId: member.id });
    }
    if (entries.length === 0) return;
    this.renewing = true;
    this.store
      .renew(entries, this.config.presenceLeaseMs, now)
      .then(async (lost) => {
        // Swept while this gateway was slow to renew: join again, which announces the member anew.
        for (const e of lost) {
          const s = bySession.get(e.connId);
          const member = s?.memberships.get(e.channel);
          if (s && member && !s.closed) await this.join(s, e.channel, member);
        }
      })
      .catch((e: Error) => this.logger.warn({ err: e.message }, 'presence renew failed'))
      .finally(() => (this.renewing = false));
  }
}
