import { Injectable } from '@nestjs/common';
import { ChannelOccupancy, PresenceStore } from '@herald/bus';
import { HistoryService, PresenceService, type HereNowResult, type HistoryResult } from '@herald/channels';
import type { AppContext, AppRecord } from '@herald/db';

export interface ChannelsOverview {
  total: number;
  channels: Array<{ channel: string; subscribers: number; presenceMembers: number }>;
}

/**
 * An app's channels as its owner sees them in the dashboard. The owner holds the app's secret anyway,
 * so reads go through the data-plane services with the secret's rights: private channels included,
 * and the browser never needs the secret.
 */
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
    return this.history.read(asOwner(app), { channel, ...q });
  }

  hereNow(app: AppRecord, channel: string, limit: number): Promise<HereNowResult> {
    return this.presence.hereNow(asOwner(app), { channel, limit });
  }
}

function asOwner(app: AppRecord): AppContext {
  return { app, keyId: 'dashboard', keyKind: 'secret' };
}
