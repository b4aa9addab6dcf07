import { Injectable } from '@nestjs/common';
import { ChannelOccupancy, PresenceStore } from '@herald/bus';
import { HistoryService, PresenceService, type HereNowResult, type HistoryResult } from '@herald/channels';
import type { AppRecord } from '@herald/db';
import { ownerContext } from '../apps/owner-context.js';

export interface ChannelsOverview {
  total: number;
  channels: Array<{ channel: string; subscribers: number; presenceMembers: number }>;
}

/** An app's channels as its owner sees them in the dashboard (with the secret's rights: ownerContext). */
@Injectable()
export class DashboardChannels {
  constructor(
    private readonly occupancy: ChannelOccupancy,
    private readonly presenceStore: PresenceStore,
    private readonly history: HistoryService,
    private readonly presence: PresenceService,
  ) {}

  async list(app: AppRecord, limit: number): Promise<ChannelsOverview> {
    const { total, channels } = await this.occupancy.occupied(app.id, limit);
    const members = await this.presenceStore.memberCounts(app.id, channels.map((c) => c.channel));
    return { total, channels: channels.map((c, i) => ({ ...c, presenceMembers: members[i] })) };
  }

  readHistory(app: AppRecord, channel: string, q: { limit: number; since?: number; before?: number }): Promise<HistoryResult> {
    return this.history.read(ownerContext(app), { channel, ...q });
  }

  hereNow(app: AppRecord, channel: string, limit: number): Promise<HereNowResult> {
    return this.presence.hereNow(ownerContext(app), { channel, limit });
  }
}
