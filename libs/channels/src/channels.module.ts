import { Module } from '@nestjs/common';
import { HistoryService } from './history.service.js';
import { PresenceService } from './presence.service.js';

/** Channel reads (history, hereNow) shared by the API and the gateway. */
@Module({ providers: [HistoryService, PresenceService], exports: [HistoryService, PresenceService] })
export class ChannelsModule {}
